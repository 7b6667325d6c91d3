"""The web widget's socket.io channel, with its input checked like the REST channel's.

Rasa's handler trusts whatever the browser sends: a message that is not a string,
a missing or odd session id, metadata stored into the tracker, and "/" commands
that skip the NLU pipeline. This subclass keeps Rasa's channel (session
persistence included) and replaces only the handler of user messages: bad events
are dropped with a log line that carries no content, and text goes through
sanitize_user_text like every other channel.
"""

import logging
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput

from channels.payloads import sanitize_user_text
from channels.rest import MAX_MESSAGE_CHARS, MAX_SENDER_CHARS
from channels.store_outage import apologise
from components.conversation_store import TrackerStoreUnavailable

logger = logging.getLogger(__name__)


def checked_message(data: Any, needs_session_id: bool) -> Optional[tuple]:
    """(session_id, text) from a user_uttered event, or None if it is malformed."""
    if not isinstance(data, dict):
        return None
    session_id, text = data.get("session_id"), data.get("message", "")
    valid_id = isinstance(session_id, str) and 0 < len(session_id) <= MAX_SENDER_CHARS
    if needs_session_id and not valid_id:
        return None
    if not isinstance(text, str) or len(text) > MAX_MESSAGE_CHARS:
        return None
    return session_id, sanitize_user_text(text)


class CheckedSocketIOInput(SocketIOInput):
    """socket.io with session persistence and checked, sanitized user messages."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> SocketBlueprint:
        blueprint = super().blueprint(on_new_message)

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
                await on_new_message(
                    UserMessage(text, output, sender_id, input_channel=self.name())
                )
            except TrackerStoreUnavailable:
                await apologise(output, sid)

        return blueprint
