"""SMS conversations through Twilio, safe to put on a real phone number.

POST /webhooks/twilio/webhook, configured as the number's "A message comes in"
webhook. What it adds to Rasa's own Twilio channel:

- Every request must carry a valid X-Twilio-Signature (HMAC-SHA1 keyed with
  TWILIO_AUTH_TOKEN over the URL Twilio called, PUBLIC_BASE_URL + path behind a
  proxy); anything else gets 403 and never reaches the assistant. Without a token
  the channel refuses to start (TwilioChannelConfigError, so `rasa run` stops with
  that message) unless TWILIO_ALLOW_UNSIGNED=true, a development switch that is
  logged loudly. `make run` supplies a local development token (see
  scripts/run_assistant.py), so the embedded defaults still start.
- Before the signature: a body over 32 KB gets 413 and anything but
  application/x-www-form-urlencoded (the only format Twilio sends) gets 415; after
  it, a request without From gets 400. Each with a plain-text message saying why.
- Replies go back in the webhook response as TwiML, GSM-7 only, at most 320
  characters each, buttons as numbered choices, at most Twilio's 10 <Message>s
  (channels/sms_text.py); a reply of "2" selects the second choice of the last
  question.
- STOP/STOPALL/UNSUBSCRIBE/CANCEL/END/QUIT opt the number out (no reply, nothing
  sent until START/UNSTOP, HELP included); HELP/INFO answers with the clinic's name
  and phone. A crisis message is never swallowed: crisis detection runs first, and
  a crisis message is answered even from an opted-out number, the one exception to
  the opt-out, by design (988 and 911 matter more than the opt-out; see the README
  on what Twilio itself does with such a reply).
- A retried webhook (same MessageSid) gets the same reply without a second turn,
  also when the retry reaches another server while the first is still running: the
  "already handled" check is repeated once the conversation's lock is held.
- The conversation id is a keyed hash of the phone number, so the number appears
  neither in the tracker store nor in the logs.
"""

import asyncio
import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text
from urllib.parse import parse_qsl

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from channels.payloads import sanitize_user_text
from channels.sms_text import choice_payload, render_messages, twiml

logger = logging.getLogger(__name__)

OPT_OUT_KEYWORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
OPT_IN_KEYWORDS = {"START", "UNSTOP"}
HELP_KEYWORDS = {"HELP", "INFO"}
OPTED_OUT_SLOT = "sms_opted_out"
CRISIS_INTENT = "crisis"
MAX_BODY_BYTES = 32 * 1024
MAX_SMS_TEXT_CHARS = 1600  # the longest message Twilio delivers
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"  # the only format Twilio sends
LAST_RESORT_REPLY = (
    "If you are in crisis, call or text 988, or call 911. "
    "Sorry, something went wrong here. Please try again soon."
)
# The plain-text bodies of the refusals (for whoever debugs a webhook by hand).
TOO_LARGE = "Request body too large: a Twilio webhook is at most 32 KB."
UNSUPPORTED_TYPE = (
    "Unsupported content type: Twilio webhooks are application/x-www-form-urlencoded."
)
BAD_SIGNATURE = "Forbidden: missing or invalid X-Twilio-Signature."
MISSING_FROM = "Bad request: the From parameter (the sender's number) is missing."
NO_TOKEN = (
    "TWILIO_AUTH_TOKEN is not set, so the SMS channel (channels/twilio_sms.py) cannot "
    "check X-Twilio-Signature and refuses to start. Set TWILIO_AUTH_TOKEN to the auth "
    "token from the Twilio console, or, for development only, TWILIO_ALLOW_UNSIGNED=true "
    "to accept unsigned requests."
)


class TwilioChannelConfigError(RasaException):
    """The SMS channel cannot start safely with this configuration."""


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class TwilioSettings:
    """Everything secret or deployment-specific comes from the environment."""

    auth_token: str
    public_base_url: str
    allow_unsigned: bool
    sender_key: bytes

    @classmethod
    def from_env(cls) -> "TwilioSettings":
        token = os.environ.get("TWILIO_AUTH_TOKEN", "").strip()
        key = os.environ.get("SMS_SENDER_ID_KEY", "").strip() or f"sender-id:{token}"
        return cls(
            auth_token=token,
            public_base_url=os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/"),
            allow_unsigned=env_flag("TWILIO_ALLOW_UNSIGNED"),
            sender_key=key.encode("utf-8"),
        )


def conversation_id(phone_number: str, key: bytes) -> str:
    """A stable id for a phone number that does not reveal it (keyed hash)."""
    digest = hmac.new(key, phone_number.strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"sms-{digest[:32]}"


def is_form(request: Request) -> bool:
    """True for application/x-www-form-urlencoded (any charset parameter)."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    return content_type == FORM_CONTENT_TYPE


def form_params(request: Request) -> Dict[str, str]:
    """The POST parameters, blank ones included: Twilio signs every one of them."""
    pairs = parse_qsl((request.body or b"").decode("utf-8", "replace"), keep_blank_values=True)
    return {key: value for key, value in reversed(pairs)}  # the first value wins


class SmsReplyCollector(CollectingOutputChannel):
    """Collects the turn's messages; named "twilio" so SMS response variations apply."""

    @classmethod
    def name(cls) -> Text:
        return "twilio"


def last_question_buttons(tracker: Any) -> Optional[List[Dict[str, Any]]]:
    """The buttons of the last message of the bot's latest turn that had any."""
    if tracker is None:
        return None
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return None
        if isinstance(event, BotUttered) and (event.data or {}).get("buttons"):
            return event.data["buttons"]
    return None


def replies_already_sent(tracker: Any, message_sid: str) -> Optional[List[Dict[str, Any]]]:
    """The bot messages that followed the user message with this MessageSid, if handled."""
    if tracker is None:
        return None
    replies: Optional[List[Dict[str, Any]]] = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_sid:
                replies = []
        elif isinstance(event, BotUttered) and replies is not None:
            replies.append({"text": event.text, "buttons": (event.data or {}).get("buttons")})
    return replies


class TwilioSmsInput(InputChannel):
    """The clinic's SMS channel (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TwilioSmsInput":
        return cls(TwilioSettings.from_env())

    def __init__(self, settings: TwilioSettings) -> None:
        if not settings.auth_token and not settings.allow_unsigned:
            raise TwilioChannelConfigError(NO_TOKEN)
        self.settings = settings
        self.validator = RequestValidator(settings.auth_token) if settings.auth_token else None
        self._in_flight: Dict[str, "asyncio.Future[List[str]]"] = {}
        if settings.allow_unsigned and not settings.auth_token:
            logger.warning(
                "!!! SMS channel accepts UNSIGNED requests (TWILIO_ALLOW_UNSIGNED): "
                "anyone can forge messages. Development only, never in production. !!!"
            )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The webhook. A turn runs through the agent itself (see _turn), not on_new_message,
        which would take the conversation's lock before the retry could be checked."""
        webhook = Blueprint("twilio_sms_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request)

        return webhook

    def signed_url(self, request: Request) -> str:
        """The URL Twilio signed: the public one behind a proxy, else the one called."""
        if not self.settings.public_base_url:
            return request.url
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{self.settings.public_base_url}{request.path}{query}"

    def signature_is_valid(self, request: Request, params: Dict[str, str]) -> bool:
        if self.validator is None:
            return self.settings.allow_unsigned
        signature = request.headers.get("X-Twilio-Signature", "")
        return bool(signature) and self.validator.validate(
            self.signed_url(request), params, signature
        )

    async def receive(self, request: Request) -> HTTPResponse:
        """Checks the request (413, 415, 403, 400, in that order), then answers in TwiML."""
        if len(request.body or b"") > MAX_BODY_BYTES:
            return response.text(TOO_LARGE, status=413)
        if not is_form(request):
            return response.text(UNSUPPORTED_TYPE, status=415)
        params = form_params(request)
        if not self.signature_is_valid(request, params):
            logger.warning("SMS webhook refused a request with a missing or wrong signature")
            return response.text(BAD_SIGNATURE, status=403)
        number = params.get("From", "").strip()
        if not number:
            return response.text(MISSING_FROM, status=400)
        sender = conversation_id(number, self.settings.sender_key)
        agent = request.app.ctx.agent
        try:
            texts = await self._once_per_message(
                params.get("MessageSid", ""), agent, sender,
                lambda: self._reply(agent, sender, params),
            )
        except Exception as error:  # never a 5xx to Twilio, never the text in the log
            logger.error("SMS turn failed for %s: %s", sender, type(error).__name__)
            texts = [LAST_RESORT_REPLY]
        return response.text(twiml(texts), content_type="text/xml; charset=utf-8")

    async def _once_per_message(
        self, message_sid: str, agent: Any, sender: str,
        produce: Callable[[], Awaitable[List[str]]],
    ) -> List[str]:
        """Runs a turn once per MessageSid; a retry gets the same reply, not a new turn."""
        if not message_sid:
            return await produce()
        if message_sid in self._in_flight:
            return await asyncio.shield(self._in_flight[message_sid])
        handled = replies_already_sent(await agent.tracker_store.retrieve(sender), message_sid)
        if handled is not None:
            logger.info("SMS retry of an already handled message for %s", sender)
            return render_messages(handled)
        task = asyncio.ensure_future(produce())
        self._in_flight[message_sid] = task
        try:
            return await asyncio.shield(task)
        finally:
            self._in_flight.pop(message_sid, None)

    async def _reply(self, agent: Any, sender: str, params: Dict[str, str]) -> List[str]:
        text = (params.get("Body") or "").strip()[:MAX_SMS_TEXT_CHARS]
        tracker = await agent.tracker_store.retrieve(sender)
        opted_out = bool(tracker and tracker.get_slot(OPTED_OUT_SLOT))
        keyword = text.strip(" .!").upper()
        is_keyword = keyword in OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS | HELP_KEYWORDS
        crisis = (is_keyword or opted_out) and await self._is_crisis(agent, text)
        logger.info("SMS received for %s", sender)

        if not crisis:  # a crisis message always becomes a turn: 988 and 911 come first
            if keyword in OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS:
                await self._set_opted_out(agent, sender, keyword in OPT_OUT_KEYWORDS)
                return []  # Twilio's own confirmation is the mandated reply
            if opted_out:
                return []  # nothing, HELP included, until START or UNSTOP
            if is_keyword:
                return await self._render_response(agent, "utter_sms_help", tracker, sender)
        if not text and int(params.get("NumMedia") or 0) > 0:
            return await self._render_response(agent, "utter_sms_media_unsupported", tracker, sender)

        # A numbered reply picks a choice; typed text is never taken as a /payload.
        message = choice_payload(text, last_question_buttons(tracker)) or sanitize_user_text(
            text, allow_payloads=False
        )
        return await self._turn(agent, sender, message, params.get("MessageSid") or None)

    async def _turn(
        self, agent: Any, sender: str, text: str, message_sid: Optional[str]
    ) -> List[str]:
        """One conversation turn, unless this MessageSid was handled meanwhile.

        Does what Agent.handle_message does (the conversation's lock around the
        processor's turn), with the "already handled" check repeated inside the lock:
        nginx may hand a retry to another server while the first one is still
        running the turn, and that server's in-flight table knows nothing of it.
        """
        if not agent.is_ready():
            raise RuntimeError("the agent has no model loaded")
        collector = SmsReplyCollector()
        message = UserMessage(text, collector, sender, input_channel=self.name(),
                              message_id=message_sid)
        async with agent.lock_store.lock(sender):
            if message_sid:
                tracker = await agent.tracker_store.retrieve(sender)
                handled = replies_already_sent(tracker, message_sid)
                if handled is not None:
                    logger.info("SMS retry of a message handled meanwhile for %s", sender)
                    return render_messages(handled)
            await agent.processor.handle_message(message)
        return render_messages(collector.messages)

    @staticmethod
    async def _is_crisis(agent: Any, text: str) -> bool:
        if not text:
            return False
        parsed = await agent.parse_message(text)
        return (parsed.get("intent") or {}).get("name") == CRISIS_INTENT

    @staticmethod
    async def _set_opted_out(agent: Any, sender: str, opted_out: bool) -> None:
        async with agent.lock_store.lock(sender):
            tracker = await agent.tracker_store.get_or_create_tracker(sender)
            tracker.update(SlotSet(OPTED_OUT_SLOT, opted_out))
            await agent.tracker_store.save(tracker)
        logger.info("SMS %s for %s", "opt-out" if opted_out else "opt-in", sender)

    @staticmethod
    async def _render_response(agent: Any, name: str, tracker: Any, sender: str) -> List[str]:
        tracker = tracker or await agent.tracker_store.get_or_create_tracker(sender)
        message = await agent.nlg.generate(name, tracker, SmsReplyCollector.name())
        return render_messages([message or {"text": ""}])
