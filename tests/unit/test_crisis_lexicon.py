"""The crisis lexicon and the NLU safety net built on it: no crisis message missed.

Every message in tests/data/crisis_messages.txt must be caught and none of
tests/data/ordinary_messages.txt (questions, checklist answers, idioms such as
"this wait is killing me") may be. CrisisSafetyNet must turn a lexicon hit, or a
confident crisis vote of the classifier, into intent `crisis` whatever
FallbackClassifier decided, and ignore the classifier's vote where the lexicon
knows the words are used in an ordinary way.
"""

from pathlib import Path

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.crisis_lexicon import CrisisLexicon, compile_lexicon, read_lexicon
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
        lexicon=compile_lexicon(read_lexicon(LEXICON_FILE)),
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


@pytest.mark.parametrize(
    "message",
    ["suicide", "suicide.", "Suicide!", "suicidal", "Suicidal...", "suicidal thoughts",
     "self harm", "self-harm", "kill myself", "I am suicidal", "feeling suicidal",
     "I'm feeling suicidal again", "help, suicidal", "suicidal thoughts tonight",
     "crisis", "I am in crisis", "im having a crisis", "mental health crisis", "crisis line",
     "i'm in a crisis right now, i don't know what to do"],
)
def test_a_message_that_is_only_crisis_words_is_a_crisis(lexicon, message):
    """A bare "suicide" or "suicidal" must reach the crisis reply, not the fallback or an FAQ."""
    assert lexicon.is_crisis(message)


@pytest.mark.parametrize(
    "message",
    ["can TMS help with suicidal thoughts?", "does tms help suicidal people",
     "is tms used for suicidal depression", "what about suicide risk with antidepressants?",
     "my doctor asked if I ever had suicidal thoughts, I haven't",
     "the housing crisis is awful", "im having a midlife crisis lol",
     "the crisis team helped me last year"],
)
def test_crisis_words_inside_a_question_stay_a_question(lexicon, message):
    """The whole-message entries match only a whole message, so FAQ questions keep their answer."""
    assert not lexicon.is_crisis(message)


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
        "lexicon": True, "classifier": False, "classifier_confidence": 0.0,
        "benign_context": False,
    }


def test_a_lexicon_hit_under_nlu_fallback_becomes_crisis(safety_net):
    message = classified(
        "i want to end it all",
        [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "greet", "confidence": 0.2}],
    )
    safety_net.process([message])
    assert message.get(INTENT) == {"name": "crisis", "confidence": 1.0}
    names = [entry["name"] for entry in message.get(INTENT_RANKING_KEY)]
    assert names[0] == "crisis" and "nlu_fallback" not in names


def test_an_unsure_classifier_vote_under_nlu_fallback_becomes_crisis(safety_net):
    """Recall first: FallbackClassifier must not turn a crisis vote into "not understood"."""
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
        "lexicon": False, "classifier": True, "classifier_confidence": 0.28,
        "benign_context": False,
    }


def test_with_a_threshold_a_vote_below_it_gives_way_to_the_next_intent():
    net = CrisisSafetyNet({**CrisisSafetyNet.get_default_config(), "classifier_threshold": 0.9},
                          model_storage=None, resource=None,
                          lexicon=compile_lexicon(read_lexicon(LEXICON_FILE)))
    ranking = [{"name": "crisis", "confidence": 0.5}, {"name": "stop_checklist", "confidence": 0.4}]
    message = classified("unsubscribe", ranking)
    net.process([message])
    assert message.get(INTENT) == {"name": "stop_checklist", "confidence": 0.4}
    assert [e["name"] for e in message.get(INTENT_RANKING_KEY)] == ["stop_checklist"]
    assert message.get("crisis_detection")["classifier"] is False


def test_an_ordinary_use_the_lexicon_knows_cancels_the_classifier_vote(safety_net):
    message = classified(
        "i won't be here for my session on monday, i'm traveling",
        [{"name": "crisis", "confidence": 0.97}, {"name": "contact_clinic", "confidence": 0.02}],
    )
    safety_net.process([message])
    detection = message.get("crisis_detection")
    assert detection["benign_context"] is True and detection["classifier"] is False
    assert detection["lexicon"] is False
    # The vote gives way: the next intent is too unsure (0.02), so "not understood".
    assert message.get(INTENT) == {"name": "nlu_fallback", "confidence": 0.3}


def test_an_ordinary_use_does_not_cancel_a_lexicon_hit(safety_net):
    message = classified(
        "i won't be here for my session on monday because i want to kill myself",
        [{"name": "contact_clinic", "confidence": 0.6}],
    )
    safety_net.process([message])
    assert message.get(INTENT)["name"] == "crisis"


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
        "lexicon": False, "classifier": False, "classifier_confidence": 0.0,
        "benign_context": False,
    }

    message = classified("I want to end my life", [{"name": "greet", "confidence": 0.6}])
    safety_net.process([message])
    output = message.as_dict(only_output_properties=True)
    assert output["crisis_detection"] == {
        "lexicon": True, "classifier": False, "classifier_confidence": 0.0,
        "benign_context": False,
    }
    assert output[INTENT]["name"] == "crisis"


def test_the_phrase_set_finds_what_spacys_phrase_matcher_finds():
    """PhraseSet replaces spaCy's PhraseMatcher for memory's sake: same spans."""
    import random

    import spacy
    from spacy.matcher import PhraseMatcher
    from spacy.tokens import Doc

    from components.crisis_lexicon import PhraseSet
    from components.text_normalisation import normalise

    rng = random.Random(3)
    phrases = rng.sample(compile_lexicon(read_lexicon(LEXICON_FILE))["phrases"]["crisis"], 3000)
    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    matcher.add("crisis", [Doc(nlp.vocab, words=phrase.split(" ")) for phrase in phrases])
    phrase_set = PhraseSet(phrases)
    texts = CRISIS_MESSAGES + ORDINARY_MESSAGES + [
        f"so {rng.choice(phrases)} and then {rng.choice(phrases)}, ok" for _ in range(300)]
    for text in texts:
        doc = nlp.make_doc(normalise(text))
        expected = sorted((start, end) for _, start, end in matcher(doc))
        assert sorted(phrase_set.spans([token.lower_ for token in doc])) == expected, text


@pytest.mark.parametrize(
    "typed, folded",
    [
        ("k i l l  m y s e l f", "kil myself"),  # one space inside a word, two between words
        ("k.m.s", "kms"),
        ("s*u*i*c*i*d*e", "suicide"),
        ("i m fine", "i m fine"),  # two letters are not a spelled-out word
        ("e.g. this", "e . g . this"),
        ("⚰️ soon", "⚰ son"),  # the emoji variation selector is invisible
    ],
)
def test_normalise_joins_letters_typed_one_by_one(typed, folded):
    from components.text_normalisation import normalise

    assert normalise(typed) == folded


def test_an_idiom_that_cancels_no_crisis_words_does_not_silence_the_classifier(safety_net):
    """ "hanging in there" is ordinary, but it says nothing about the rest of the message."""
    message = classified(
        "I'm barely hanging in there, I don't think I can keep going",
        [{"name": "crisis", "confidence": 0.6}, {"name": "greet", "confidence": 0.2}],
    )
    safety_net.process([message])
    assert message.get(INTENT) == {"name": "crisis", "confidence": 1.0}
    detection = message.get("crisis_detection")
    assert detection["classifier"] is True and detection["benign_context"] is False
