"""The REST channel with its input checked: bad requests get a clear 4xx, never a 5xx.

Rasa's own REST channel answers 500 to a JSON body that is a list, takes a missing
sender as the shared conversation "default", and lets the client choose the input
channel and metadata stored in the tracker. This one accepts exactly
{"sender": "<id>", "message": "<text>"} and answers everything else with 400
(malformed), 413 (too large) or 415 (not JSON), each with a JSON {"error": ...}.
A message over MAX_MESSAGE_CHARS is first checked for a crisis
(channels/long_messages.py): a crisis gets the crisis reply, anything else the 413.
"""

import json
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.long_messages import MAX_MESSAGE_CHARS, crisis_window
from channels.payloads import sanitize_user_text
from channels.store_outage import rest_unavailable_response
from components.conversation_store import TrackerStoreUnavailable

MAX_BODY_BYTES = 64 * 1024
MAX_SENDER_CHARS = 128


class RequestRejected(Exception):
    """A request the channel refuses, with the HTTP status and a message for the client."""

    def __init__(self, status: int, message: Text) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class MessageTooLong(RequestRejected):
    """A well-formed request whose message is over MAX_MESSAGE_CHARS."""

    def __init__(self, sender: Text, text: Text) -> None:
        super().__init__(
            413, f'"message" must be at most {MAX_MESSAGE_CHARS} characters: '
                 "please send it in shorter parts",
        )
        self.sender = sender
        self.text = text


def parse_rest_request(request: Request) -> Tuple[Text, Text]:
    """Returns (sender, message) from a well-formed request, else raises RequestRejected."""
    if len(request.body or b"") > MAX_BODY_BYTES:
        raise RequestRejected(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type and content_type != "application/json":
        raise RequestRejected(415, "send the message as JSON (Content-Type: application/json)")
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise RequestRejected(400, "the body is not valid JSON")
    if not isinstance(body, dict):
        raise RequestRejected(400, 'the body must be a JSON object: {"sender": ..., "message": ...}')
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip():
        raise RequestRejected(400, '"sender" must be a non-empty string identifying the conversation')
    if len(sender) > MAX_SENDER_CHARS:
        raise RequestRejected(400, f'"sender" must be at most {MAX_SENDER_CHARS} characters')
    if not isinstance(message, str):
        raise RequestRejected(400, '"message" must be a string')
    if len(message) > MAX_MESSAGE_CHARS:
        raise MessageTooLong(sender.strip(), message)
    return sender.strip(), message


def error_response(status: int, message: Text) -> HTTPResponse:
    """A JSON error the client can show or log."""
    return response.json({"error": message}, status=status)


class ValidatedRestInput(InputChannel):
    """POST /webhooks/rest/webhook with {"sender", "message"}; replies as a JSON list."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = Blueprint("validated_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text = parse_rest_request(request)
            except MessageTooLong as too_long:
                return await self.answer_long_message(request, too_long, on_new_message)
            except RequestRejected as rejected:
                return error_response(rejected.status, rejected.message)
            return await self.run_turn(sender, text, on_new_message)

        return webhook

    async def answer_long_message(
        self, request: Request, too_long: MessageTooLong,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        """The crisis reply when an oversized message reads as a crisis, else the 413."""
        window = await crisis_window(request.app.ctx.agent, too_long.text)
        if window is None:
            return error_response(too_long.status, too_long.message)
        return await self.run_turn(too_long.sender, window, on_new_message)

    async def run_turn(
        self, sender: Text, text: Text, on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        """One turn; its replies as JSON, or a 503 with the crisis numbers if the
        conversation store is down."""
        collector = CollectingOutputChannel()
        try:
            await on_new_message(UserMessage(
                sanitize_user_text(text), collector, sender, input_channel=self.name()))
        except TrackerStoreUnavailable:
            return rest_unavailable_response()
        return response.json(collector.messages)

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        """Clients cannot attach metadata to the stored conversation."""
        return None
