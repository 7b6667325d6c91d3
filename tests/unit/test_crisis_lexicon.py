"""The crisis lexicon and the NLU safety net built on it: no crisis message missed.

Every message in tests/data/crisis_messages.txt must be caught and none of
tests/data/ordinary_messages.txt (questions, checklist answers, idioms such as
"this wait is killing me") may be. CrisisSafetyNet must turn a lexicon hit, or a
crisis the classifier saw under nlu_fallback, into intent `crisis`.
"""

from pathlib import Path

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.crisis_lexicon import CrisisLexicon, read_lexicon
from components.crisis_safety_net import CrisisSafetyNet

ROOT = Path(__file__).resolve().parents[2]
LEXICON_FILE = ROOT / "lexicons" / "crisis.yml"
DATA = ROOT / "tests" / "data"


def messages_in(name):
    """The non-empty lines of a test data file."""
    text = (DATA / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


CRISIS_MESSAGES = messages_in("crisis_messages.txt")
ORDINARY_MESSAGES = messages_in("ordinary_messages.txt")


@pytest.fixture(scope="module")
def lexicon():
    return CrisisLexicon.from_file(LEXICON_FILE)


@pytest.fixture(scope="module")
def safety_net():
    return CrisisSafetyNet(
        CrisisSafetyNet.get_default_config(),
        model_storage=None,
        resource=None,
        lexicon=read_lexicon(LEXICON_FILE),
    )


def test_each_message_file_has_at_least_100_messages():
    assert len(CRISIS_MESSAGES) >= 100
    assert len(ORDINARY_MESSAGES) >= 100


@pytest.mark.parametrize("message", CRISIS_MESSAGES, ids=CRISIS_MESSAGES)
def test_crisis_message_is_caught(lexicon, message):
    assert lexicon.is_crisis(message)


@pytest.mark.parametrize("message", ORDINARY_MESSAGES, ids=ORDINARY_MESSAGES)
def test_ordinary_message_is_not_a_crisis(lexicon, message):
    assert not lexicon.is_crisis(message)


@pytest.mark.parametrize(
    "message",
    [
        "I don\u2019t want to live anymore",
        "i\u2019m going to kms",
        "I want to KILL MYSELF",
        "kiiiill myself",
        "I keep thinking about self-harm",
        "I keep thinking about self\u2010harm",
    ],
)
def test_typing_variants_are_caught(lexicon, message):
    assert lexicon.is_crisis(message)


@pytest.mark.parametrize(
    "message",
    ["I'm not suicidal", "I\u2019m not suicidal", "it's 40 kms from the clinic"],
)
def test_benign_phrases_cancel_a_match(lexicon, message):
    assert not lexicon.is_crisis(message)


@pytest.mark.parametrize("message", ["I'm suicidal", "i want to kms"])
def test_without_the_benign_context_the_same_words_are_a_crisis(lexicon, message):
    assert lexicon.is_crisis(message)


def classified(text, ranking):
    """A message as the classifiers leave it: top intent and ranking set."""
    message = Message(data={TEXT: text})
    message.set(INTENT, dict(ranking[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, [dict(entry) for entry in ranking], add_to_output=True)
    return message


def test_lexicon_hit_overrides_the_classifier(safety_net):
    message = classified(
        "I want to kill myself",
        [{"name": "ask_cost", "confidence": 0.8}, {"name": "greet", "confidence": 0.1}],
    )
    safety_net.process([message])
    assert message.get(INTENT) == {"name": "crisis", "confidence": 1.0}
    assert message.get(INTENT_RANKING_KEY)[0] == {"name": "crisis", "confidence": 1.0}
    assert message.get("crisis_detection") == {
        "lexicon": True, "classifier": False, "classifier_confidence": 0.0
    }


def test_crisis_under_nlu_fallback_becomes_crisis(safety_net):
    message = classified(
        "everything feels so heavy lately",
        [
            {"name": "nlu_fallback", "confidence": 0.3},
            {"name": "crisis", "confidence": 0.28},
            {"name": "greet", "confidence": 0.2},
        ],
    )
    safety_net.process([message])
    assert message.get(INTENT) == {"name": "crisis", "confidence": 1.0}
    names = [entry["name"] for entry in message.get(INTENT_RANKING_KEY)]
    assert names[0] == "crisis" and "nlu_fallback" not in names
    assert message.get("crisis_detection") == {
        "lexicon": False, "classifier": True, "classifier_confidence": 0.28
    }


def test_ordinary_message_keeps_its_intent(safety_net):
    ranking = [{"name": "ask_cost", "confidence": 0.9}, {"name": "ask_insurance", "confidence": 0.05}]
    message = classified("how much does TMS cost", ranking)
    safety_net.process([message])
    assert message.get(INTENT) == ranking[0]
    assert message.get(INTENT_RANKING_KEY) == ranking


def test_ordinary_fallback_stays_a_fallback(safety_net):
    ranking = [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "ask_cost", "confidence": 0.25}]
    message = classified("hmm", ranking)
    safety_net.process([message])
    assert message.get(INTENT)["name"] == "nlu_fallback"


def test_parse_output_says_which_detector_fired_and_not_the_text(safety_net):
    message = classified("how much does TMS cost", [{"name": "ask_cost", "confidence": 0.9}])
    safety_net.process([message])
    output = message.as_dict(only_output_properties=True)
    assert output["crisis_detection"] == {
        "lexicon": False, "classifier": False, "classifier_confidence": 0.0
    }

    message = classified("I want to end my life", [{"name": "greet", "confidence": 0.6}])
    safety_net.process([message])
    output = message.as_dict(only_output_properties=True)
    assert output["crisis_detection"] == {
        "lexicon": True, "classifier": False, "classifier_confidence": 0.0
    }
    assert output[INTENT]["name"] == "crisis"
