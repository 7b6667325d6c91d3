"""The web widget's socket.io channel, with its input checked like the REST channel's.

Rasa's handler trusts whatever the browser sends: a message that is not a string,
a missing or odd session id, metadata stored into the tracker, and "/" commands
that skip the NLU pipeline. This subclass keeps Rasa's channel (session
persistence included) and replaces only the handler of user messages: bad events
are dropped with a log line that carries no content, and text goes through
sanitize_user_text like every other channel.

Two more checks Rasa's channel lacks:
- A message over MAX_MESSAGE_CHARS is checked for a crisis (channels/long_messages.py):
  a crisis gets a real turn and the crisis reply; anything else gets the domain's
  kind "please send it in shorter parts" message instead of silence.
- The browser's origin. Rasa creates the socket.io server with
  cors_allowed_origins=[], which turns engine.io's origin check off, so any web
  site could open a chat socket from its visitors' browsers. Here a connection
  whose Origin header is neither the Rasa server's own origin nor one of the
  origins given to `rasa run --cors` (CORS_ORIGINS in `make run`) is refused,
  with the same matching the REST channel's CORS uses. Clients that send no Origin
  (not a browser: the tests, server-side integrations) are not affected.
"""

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic_cors.core import get_cors_origins

from channels.long_messages import MAX_MESSAGE_CHARS, crisis_window, too_long_reply
from channels.payloads import sanitize_user_text
from channels.rest import MAX_SENDER_CHARS
from channels.store_outage import apologise
from components.conversation_store import TrackerStoreUnavailable

logger = logging.getLogger(__name__)


def checked_message(data: Any, needs_session_id: bool) -> Optional[tuple]:
    """(session_id, text) from a user_uttered event, or None if it is malformed.

    The text may be longer than MAX_MESSAGE_CHARS: the handler deals with that."""
    if not isinstance(data, dict):
        return None
    session_id, text = data.get("session_id"), data.get("message", "")
    valid_id = isinstance(session_id, str) and 0 < len(session_id) <= MAX_SENDER_CHARS
    if needs_session_id and not valid_id:
        return None
    if not isinstance(text, str):
        return None
    return session_id, sanitize_user_text(text)


def own_origins(request: Any) -> set:
    """The Rasa server's own origin as a browser names it, directly or behind a proxy
    (a websocket request's scheme is ws/wss; the page's origin says http/https)."""
    headers = request.headers
    web_scheme = {"ws": "http", "wss": "https"}.get(request.scheme, request.scheme)
    origins = {f"{web_scheme}://{headers.get('host', '')}"}
    forwarded_host = headers.get("x-forwarded-host") or headers.get("host", "")
    forwarded_scheme = headers.get("x-forwarded-proto") or web_scheme
    origins.add(f"{forwarded_scheme.split(',')[0].strip()}://{forwarded_host.split(',')[0].strip()}")
    return {origin.lower() for origin in origins}


def origin_allowed(environ: Dict[Text, Any]) -> bool:
    """True when the connection's Origin may open a chat socket (see the module's doc)."""
    origin = environ.get("HTTP_ORIGIN")
    if not origin:
        return True
    request = environ.get("sanic.request")
    if request is None:
        return False
    if origin.lower() in own_origins(request):
        return True
    cors = getattr(request.app.ctx, "sanic_cors", None)
    for _pattern, options in getattr(cors, "resources", None) or []:
        if get_cors_origins(options, origin):
            return True
    return False


class CheckedSocketIOInput(SocketIOInput):
    """socket.io with session persistence, checked user messages and origins."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> SocketBlueprint:
        blueprint = super().blueprint(on_new_message)
        self.check_origins()

        @self.sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            checked = checked_message(data, needs_session_id=self.session_persistence)
            if checked is None:
                logger.warning("socket.io: dropped a malformed user message event")
                return
            session_id, text = checked
            sender_id = session_id if self.session_persistence else sid
            output = SocketIOOutput(self.sio, self.bot_message_evt)
            try:
                if len(text) > MAX_MESSAGE_CHARS:
                    await self.answer_long_message(sid, sender_id, text, output, on_new_message)
                    return
                await on_new_message(
                    UserMessage(text, output, sender_id, input_channel=self.name())
                )
            except TrackerStoreUnavailable:
                await apologise(output, sid)

        return blueprint

    def check_origins(self) -> None:
        """Wraps Rasa's connect handler (which checks the JWT, if any) with the origin check."""
        namespace = self.namespace or "/"
        rasa_connect = self.sio.handlers[namespace]["connect"]

        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if not origin_allowed(environ):
                logger.warning("socket.io: refused a connection from an origin not allowed by --cors")
                return False
            return await rasa_connect(sid, environ, auth)

        self.sio.on("connect", connect, namespace=self.namespace)

    async def answer_long_message(
        self, sid: Text, sender_id: Text, text: Text, output: SocketIOOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        """A crisis turn when an oversized message reads as a crisis, else a kind
        request to send it in shorter parts."""
        agent = self.sio.get_environ(sid, namespace=self.namespace)["sanic.request"].app.ctx.agent
        window = await crisis_window(agent, text)
        if window is not None:
            await on_new_message(UserMessage(window, output, sender_id, input_channel=self.name()))
            return
        reply = await too_long_reply(agent, sender_id, self.name())
        if reply:
            await output.send_response(sender_id, reply)
