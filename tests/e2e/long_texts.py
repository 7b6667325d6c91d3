"""Two 6,000-character messages, over the 5,000-character limit of both web channels.

The goodbye letter says what it means only after its first 5,000 characters, so a
check of the first window alone would miss it.
"""

from channels.long_messages import MAX_MESSAGE_CHARS

LONG_CHARS = 6000

_STORY = (
    "I have been thinking about the last few years and wanted to put it all down in one place. "
    "Work was busy, the kids grew up, we moved twice and the garden never did take. "
    "I tried sertraline for a year and then escitalopram, and my doctor kept adjusting the doses. "
    "Some mornings were fine and some were not, and I stopped going to the Thursday walking group. "
    "My sister calls on Sundays and we talk about her dog and the weather in Ohio. "
)


def _padded(text: str, before: int) -> str:
    """text placed after `before` characters of story, the whole LONG_CHARS long."""
    lead = (_STORY * 80)[:before]
    tail = (_STORY * 80)[: LONG_CHARS - before - len(text) - 1]
    return f"{lead} {text}{tail}"[:LONG_CHARS]


GOODBYE_LETTER = _padded(
    "This is my goodbye letter. I have decided to kill myself this weekend and I have the pills ready. ",
    before=MAX_MESSAGE_CHARS + 200,
)

ORDINARY_LONG = _padded(
    "So my questions are: how long does a course of TMS take, does insurance cover it, "
    "and can I keep seeing my therapist while I do it? ",
    before=MAX_MESSAGE_CHARS + 200,
)

assert len(GOODBYE_LETTER) == LONG_CHARS == len(ORDINARY_LONG)
