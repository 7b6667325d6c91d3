"""Keeps what people write out of the logs, whatever library does the logging.

Rasa logs whole trackers in some error messages (for example the request body
when the action server answers 500), and tracebacks can quote message text.
install() wraps the logging record factory, so every record created in the
process, by any logger, is checked before any handler sees it: a message or
traceback that carries conversation content keeps its first words and loses the
rest. Installed on import by channels/ (Rasa server) and actions/ (action server).
"""

import logging
import traceback
from typing import Any

CONTENT_MARKERS = (
    '"text"', "'text'", "request_body", '"tracker"', "'tracker'", "parse_data",
    "latest_message", '"slots"', "'slots'", '"events"', "'events'", "sender_id",
)
REDACTED = "[conversation content redacted]"
KEEP_CHARS = 160


def redact_text(text: str) -> str:
    """The text itself if it carries no conversation content, else its harmless start."""
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
