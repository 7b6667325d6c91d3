"""Messages over the 5,000-character limit are checked for a crisis before anything else.

A pasted goodbye letter is long. Refusing it for its length alone would leave the
person without the crisis resources, so an oversized message is read by the
assistant's own NLU (the crisis lexicon and the classifier, the same detection as
every other message) in overlapping windows of at most MAX_MESSAGE_CHARS, up to
MAX_CHECKED_CHARS in all: 14 windows, about a second for text, up to 4 s for 64 KB of
one symbol (windows already read are skipped, and other conversations are served
between windows, so no one waits more than one window's time). When a window reads as a
crisis, the channel processes a real turn with that window as the text, so the
crisis reply comes first and the tracker records `crisis_flagged`. Otherwise the
channel answers as it does for any over-long message (socket.io: the domain
response utter_message_too_long; REST: 413).
"""

import asyncio
from typing import Any, Dict, Iterator, Optional, Text

from rasa.shared.core.trackers import DialogueStateTracker

MAX_MESSAGE_CHARS = 5000
# The REST body limit; an oversized socket.io message is checked up to the same length.
MAX_CHECKED_CHARS = 64 * 1024
WINDOW_OVERLAP_CHARS = 500
CRISIS_INTENT = "crisis"
TOO_LONG_RESPONSE = "utter_message_too_long"


def windows(text: Text, size: int = MAX_MESSAGE_CHARS,
            overlap: int = WINDOW_OVERLAP_CHARS) -> Iterator[Text]:
    """Overlapping slices of text[:MAX_CHECKED_CHARS], each at most `size` characters,
    so a phrase cut by one window's edge lies whole inside the next one."""
    text = text[:MAX_CHECKED_CHARS]
    step = size - overlap
    start = 0
    while True:
        yield text[start:start + size]
        if start + size >= len(text):
            return
        start += step


async def crisis_window(agent: Any, text: Text) -> Optional[Text]:
    """The first window of an oversized text that the NLU reads as a crisis, or None."""
    seen = set()
    for window in windows(text):
        if window in seen:
            continue
        seen.add(window)
        await asyncio.sleep(0)  # the NLU does not yield: let other turns run in between
        parsed = await agent.parse_message(window)
        if (parsed.get("intent") or {}).get("name") == CRISIS_INTENT:
            return window
    return None


async def too_long_reply(agent: Any, sender_id: Text, channel: Text) -> Optional[Dict[Text, Any]]:
    """The domain's kind "please send it in shorter parts" message, for this channel.

    Rendered against an empty tracker: no database is read for it, and the
    conversation stays as it was (nothing of the long text is stored)."""
    tracker = DialogueStateTracker(sender_id, agent.domain.slots)
    return await agent.nlg.generate(TOO_LONG_RESPONSE, tracker, channel)
