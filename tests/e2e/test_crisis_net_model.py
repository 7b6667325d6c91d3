"""The crisis safety net as deployed: the trained model's whole NLU pipeline.

tests/unit/test_crisis_lexicon.py checks the lexicon alone on the same two files;
the deployed net also takes the classifier's crisis vote at any confidence
(config.yml, classifier_threshold 0.0), so an ordinary message full of risky words
can become a crisis through the classifier alone. Here every line of
tests/data/crisis_messages.txt must reach intent `crisis` and no line of
tests/data/ordinary_messages.txt may, except the few written down below. The model
is $TMS_MODEL, or the newest one in models/ (no servers are started).
"""

import asyncio
import logging
from pathlib import Path

import pytest

from scripts.run_assistant import ROOT, newest_model

DATA = Path(ROOT) / "tests" / "data"

# Ordinary messages the classifier still votes crisis on (measured with the model of
# this commit). Ordinary training examples like them moved 6 of the 9, but cost crisis
# recall on tests/dev (messages about "leaving early" or "doing it" while someone is
# away were missed) and pushed the held-out false alarms above 1%, so they were left
# out: recall comes first (content/crisis.md). Any other ordinary message flagged
# fails the test; removing one from this list once it is fixed keeps it fixed.
KNOWN_FALSE_ALARMS = {
    "I have a bottle of tylenol in my bag, can I take two before the session",
    "my cat knocked my pill bottle off the counter and the pills went everywhere, "
    "can I still take the ones from the floor?",
    "the drive will kill me but i dont mind, see you monday",
    "i told the a i i have a question",
    "i'm going to do it when everyone else does, get the paperwork in",
    "i'm counting down the days until my vacation",
    "is there only one way out of the building in case of fire",
    "i keep going to the gym at night",
    "the dishwasher is loaded for me every night by my husband",
}


def messages_in(name):
    """The non-empty lines of a test data file."""
    text = (DATA / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def intents():
    """Parses every line of both files with the trained model: text -> intent name."""
    from rasa.core.agent import Agent

    logging.getLogger("rasa").setLevel(logging.WARNING)
    agent = Agent.load(newest_model())
    loop = asyncio.new_event_loop()
    try:
        texts = messages_in("crisis_messages.txt") + messages_in("ordinary_messages.txt")
        return {
            text: (loop.run_until_complete(agent.parse_message(text)).get("intent") or {}).get("name")
            for text in texts
        }
    finally:
        loop.close()


def test_every_crisis_message_reaches_the_crisis_path(intents):
    missed = [text for text in messages_in("crisis_messages.txt") if intents[text] != "crisis"]
    assert not missed, f"{len(missed)} crisis messages missed: {missed}"


def test_no_ordinary_message_is_taken_for_a_crisis(intents):
    ordinary = messages_in("ordinary_messages.txt")
    flagged = [text for text in ordinary if intents[text] == "crisis"]
    unexpected = [text for text in flagged if text not in KNOWN_FALSE_ALARMS]
    assert not unexpected, f"{len(unexpected)} ordinary messages flagged: {unexpected}"


def test_the_known_false_alarms_are_still_in_the_ordinary_file():
    """The exceptions name real lines, so fixing or removing one shows up here."""
    assert KNOWN_FALSE_ALARMS <= set(messages_in("ordinary_messages.txt"))
