"""Turns the assistant's messages into SMS text: GSM-7 only, at most 320 characters.

- Markdown goes (**bold** -> bold, [text](url) -> text: url), typographic characters
  become their plain equivalents, anything else outside GSM-7 (emoji...) is dropped.
- Buttons become numbered choices ("Reply 1 for Yes, 2 for No"); their payloads are
  never shown. choice_payload() maps a numeric reply back to the chosen payload.
- A text longer than MAX_SMS_CHARS is split at sentence or word boundaries into
  several messages, so nothing is cut off.
- twiml() wraps the texts in a TwiML <Response>, one <Message> each, XML-escaped,
  and never more than Twilio's 10 <Message>s per incoming message (warning 14109:
  Twilio drops the rest): the tail is merged into the last one.
"""

import re
from typing import Any, Dict, List, Optional, Sequence
from xml.sax.saxutils import escape

MAX_SMS_CHARS = 320
SEGMENT_CHARS = 160
MAX_MESSAGES = 10  # <Message>s Twilio sends in reply to one incoming message
MAX_TWILIO_BODY_CHARS = 1600  # the longest message body Twilio accepts

# The GSM 03.38 basic character set (one septet each).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
PLAIN_EQUIVALENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...", "\u2022": "-", "\u00b7": "-", "\u00a0": " ", "\u2009": " ",
    "\u202f": " ", "\t": " ", "\u00e1": "a", "\u00ed": "i", "\u00f3": "o", "\u00fa": "u",
    "[": "(", "]": ")", "{": "(", "}": ")", "~": "-", "|": "/", "^": "", "\\": "/",
    "\u20ac": "EUR",
}
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
MARKDOWN_EMPHASIS = re.compile(r"(\*\*)(?=\S)(.+?)(?<=\S)\1")
NUMBERED_REPLY = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
QUOTE_ENTITIES = {'"': "&quot;", "'": "&apos;"}  # escape() does & < > itself


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic set."""
    return all(character in GSM7_BASIC for character in text)


def to_gsm7(text: str) -> str:
    """Plain SMS text: no markdown, no typographic or non-GSM-7 characters."""
    text = MARKDOWN_LINK.sub(r"\1: \2", text or "")
    text = MARKDOWN_EMPHASIS.sub(r"\2", text)
    text = "".join(PLAIN_EQUIVALENTS.get(character, character) for character in text)
    text = "".join(character for character in text if character in GSM7_BASIC)
    text = re.sub(r"[ ]{2,}", " ", text)
    return "\n".join(line.strip() for line in text.strip().splitlines())


def choices_line(buttons: Sequence[Dict[str, Any]]) -> str:
    """'Reply 1 for Yes, 2 for No, 3 for Not sure.'"""
    options = [f"{number} for {to_gsm7(button.get('title', ''))}"
               for number, button in enumerate(buttons, start=1)]
    return "Reply " + ", ".join(options) + "."


def split_for_sms(text: str, limit: int = MAX_SMS_CHARS) -> List[str]:
    """Splits text into parts of at most `limit` characters, at sentence or word ends."""
    parts: List[str] = []
    remaining = text.strip()
    while len(remaining) > limit:
        window = remaining[: limit + 1]
        cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        else:
            cut += 1
        parts.append(remaining[:cut].strip())
        remaining = remaining[cut:].strip()
    if remaining:
        parts.append(remaining)
    return parts


def render_messages(messages: Sequence[Dict[str, Any]]) -> List[str]:
    """The SMS texts for a turn's bot messages; only the last set of buttons is numbered."""
    last_with_buttons = max(
        (index for index, message in enumerate(messages) if message.get("buttons")),
        default=None,
    )
    texts: List[str] = []
    for index, message in enumerate(messages):
        text = to_gsm7(message.get("text") or "")
        if index == last_with_buttons:
            text = f"{text}\n{choices_line(message['buttons'])}".strip()
        if text:
            texts.extend(split_for_sms(text))
    return texts


def choice_payload(reply: str, buttons: Optional[Sequence[Dict[str, Any]]]) -> Optional[str]:
    """The payload of the numbered choice a reply such as "2" selects, if any."""
    match = NUMBERED_REPLY.match(reply or "")
    if not match or not buttons:
        return None
    number = int(match.group(1))
    if 1 <= number <= len(buttons):
        return buttons[number - 1].get("payload")
    return None


def within_message_limit(texts: Sequence[str], limit: int = MAX_MESSAGES) -> List[str]:
    """At most `limit` texts: short neighbours are joined first (still at most
    MAX_SMS_CHARS each); if that is not enough, the tail goes into the last text, cut at
    Twilio's 1,600-character limit for one message."""
    texts = [text for text in texts if text]
    if len(texts) <= limit:
        return texts
    packed: List[str] = []
    for text in texts:
        if packed and len(packed[-1]) + 1 + len(text) <= MAX_SMS_CHARS:
            packed[-1] = f"{packed[-1]}\n{text}"
        else:
            packed.append(text)
    if len(packed) <= limit:
        return packed
    tail = "\n".join(packed[limit - 1:])
    return packed[: limit - 1] + [split_for_sms(tail, MAX_TWILIO_BODY_CHARS)[0]]


def twiml(texts: Sequence[str]) -> str:
    """A TwiML response with one <Message> per text, at most MAX_MESSAGES of them."""
    body = "".join(
        f"<Message>{escape(text, QUOTE_ENTITIES)}</Message>"
        for text in within_message_limit(texts)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'
