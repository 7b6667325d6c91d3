"""Keeps what people write, and who they are, out of the logs, whatever library logs.

Rasa logs whole trackers in some error messages (for example the request body
when the action server answers 500), and tracebacks can quote message text.
install() wraps the logging record factory, so every record created in the
process, by any logger, is checked before any handler sees it:
- a message or traceback that carries conversation content keeps its first words
  and loses the rest;
- conversation ids become a keyed hash, `id:<12 hex>`: after `sender '`,
  `conversation_id '` or `conversation '` (Rasa's "Stopped predicting more actions
  for sender '...'", lock errors), after `/conversations/` in URLs (Sanic's "Exception
  occurred while handling uri: ..."), and SMS ids (`sms-<hash of the number>`) anywhere;
- query strings (`?token=...`, Twilio's `?From=...`) are dropped from URLs;
- phone numbers (+15551234567, 555-123-4567, (555) 123-4567) become `[phone]`.
The hash key is LOG_ID_KEY when set (the same id then hashes alike on every server
and across restarts, for following one conversation through the logs); otherwise a
random key per process. Installed on import by channels/ (Rasa server) and actions/
(action server).
"""

import hashlib
import hmac
import logging
import os
import re
import secrets
import traceback
from typing import Any, Match

CONTENT_MARKERS = (
    '"text"', "'text'", "request_body", '"tracker"', "'tracker'", "parse_data",
    "latest_message", '"slots"', "'slots'", '"events"', "'events'", "sender_id",
)
REDACTED = "[conversation content redacted]"
KEEP_CHARS = 160
PHONE = "[phone]"

_ID_KEY = (os.environ.get("LOG_ID_KEY") or secrets.token_hex(16)).encode("utf-8")
# A quoted id after the words Rasa and this project put before one, an id in a
# /conversations/<id>/ path, and an SMS conversation id wherever it is.
_QUOTED_ID = re.compile(r"(?P<lead>\b(?:sender|sender_id|conversation_id|conversation)(?:\s+|\s*=\s*)')"
                        r"(?P<id>[^']+)(?=')")
_PATH_ID = re.compile(r"(?P<lead>/conversations/)(?P<id>[^/?#\s'\"<>]+)")
_SMS_ID = re.compile(r"(?P<lead>)(?P<id>\bsms-[0-9a-f]{16,64}\b)")
# A query string: "?" followed by key=value text, up to a space, a quote or a bracket.
_QUERY = re.compile(r"\?(?=[^\s'\"<>]*=)[^\s'\"<>]*")
_PHONES = re.compile(
    r"\+\d[\d ().-]{6,18}\d"                         # +15551234567, +1 (555) 123-4567
    r"|(?<![\w.-])\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}(?![\w.-])"  # 555-123-4567, (555) 123-4567
)


def hash_id(conversation_id: str) -> str:
    """The keyed hash standing for a conversation id in the logs."""
    digest = hmac.new(_ID_KEY, conversation_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"id:{digest[:12]}"


def _hashed(match: Match[str]) -> str:
    if match.group("id").startswith("id:"):  # already hashed
        return match.group(0)
    return match.group("lead") + hash_id(match.group("id"))


def redact_identifiers(text: str) -> str:
    """Conversation ids hashed, query strings dropped, phone numbers replaced."""
    for pattern in (_QUOTED_ID, _PATH_ID, _SMS_ID):
        text = pattern.sub(_hashed, text)
    text = _QUERY.sub("", text)
    return _PHONES.sub(PHONE, text)


def redact_text(text: str) -> str:
    """The text with identifiers hashed and, if it carries conversation content, cut
    to its harmless start."""
    text = redact_identifiers(text)
    positions = [text.find(marker) for marker in CONTENT_MARKERS if marker in text]
    if not positions:
        return text
    cut = min(positions + [KEEP_CHARS])
    for opener in ("{", "[", "body="):
        found = text.find(opener)
        if 0 <= found < cut:
            cut = found
    return f"{text[:cut].rstrip()} {REDACTED}"


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redacts a record's message and traceback in place."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is left to logging's own error handling
        return record
    redacted = redact_text(message)
    if redacted != message:
        record.msg, record.args = redacted, ()
    if record.exc_info and record.exc_info[0] is not None:
        lines = traceback.format_exception(*record.exc_info)
        record.exc_text = "".join(redact_text(line) for line in lines).rstrip("\n")
        record.exc_info = None
    return record


_installed = False


def install() -> None:
    """Makes every log record of this process pass through redact_record (once)."""
    global _installed
    if _installed:
        return
    create_record = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(create_record(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
