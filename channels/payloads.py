"""Keeps people from typing Rasa commands: only plain button payloads pass as payloads.

Rasa treats a message that starts with "/" as a command: "/intent" skips the NLU
pipeline (and so the crisis safety net), '/intent{"slot": ...}' carries entities,
and "/restart" wipes the conversation. The widget's buttons only ever send
"/<intent>" for an intent a button offers. Anything else that starts with "/" loses
its leading slashes and is read as the text it is, crisis detection included.
"""

import re

PLAIN_PAYLOAD = re.compile(r"^/([a-z_]+)$")
# Rasa's built-in commands a person must never trigger by typing.
RESERVED_INTENTS = {"restart", "back", "session_start"}


def sanitize_user_text(text: str, allow_payloads: bool = True) -> str:
    """The text to hand to Rasa: a plain button payload, or ordinary text.

    SMS has no buttons, so there allow_payloads is False and every "/" is text.
    """
    text = text or ""
    stripped = text.strip()
    match = PLAIN_PAYLOAD.match(stripped)
    if allow_payloads and match and match.group(1) not in RESERVED_INTENTS:
        return stripped
    if stripped.startswith("/"):
        return stripped.lstrip("/").strip()
    return text
