"""Replies whose words must decide the answer: skip words inside real answers, the
metal question's braces and fillings, pregnancy in the person's own words, and
strong no's. Each is read without an intent, and also with the wrong intent the
classifier could give, so the reading does not rest on the classifier.
"""

import pytest

from actions.answer_parsing import NO, SKIPPED, UNSURE, YES, parse_age, parse_yes_no


# 1. A skip word inside an answer does not skip the question.

@pytest.mark.parametrize(
    "reply, slot, intent, answer",
    [
        ("planning to get pregnant next year", "pregnant", None, YES),
        ("planning to get pregnant next year", "pregnant", "skip_question", YES),
        ("yes but i'll pass on details", "medication_side_effects", None, YES),
        ("yes but i'll pass on details", "medication_side_effects", "skip_question", YES),
        ("no, next question", "seizure_history", "skip_question", NO),
    ],
)
def test_an_answer_with_a_skip_word_in_it_is_an_answer(reply, slot, intent, answer):
    assert parse_yes_no(reply, intent, slot) == answer


@pytest.mark.parametrize("intent", [None, "skip_question", "inform"])
def test_an_age_with_a_skip_word_in_it_is_an_age(intent):
    assert parse_age("44, next question", intent) == 44


def test_turning_18_next_month_is_17_and_not_a_skip():
    """A person who turns 18 next month is 17 now (under 18 needs a doctor's review)."""
    assert parse_age("I turn 18 next month") == 17
    assert parse_age("I'll be 30 in June") == 29
    assert parse_age("I turned 18 last month") == 18


@pytest.mark.parametrize(
    "reply",
    [
        "skip",
        "pass",
        "next",
        "next question",
        "Next question please",
        "I'd rather not say",
        "rather not",
        "prefer not to answer",
        "no comment",
        "I don't want to answer that",
        "I'll skip that question if that's okay",
        "can we move on",
    ],
)
def test_a_reply_that_is_only_a_skip_skips_the_question(reply):
    assert parse_yes_no(reply) == SKIPPED
    assert parse_yes_no(reply, "deny") == SKIPPED
    assert parse_age(reply) == SKIPPED


def test_the_skip_button_skips_the_age_question():
    assert parse_age("/skip_question", "skip_question") == SKIPPED


def test_a_reply_with_neither_an_answer_nor_a_skip_is_asked_again():
    assert parse_age("old enough") is None
    assert parse_yes_no("what do you mean?") is None


# 3. The metal question: braces and fillings do not count; implants do.

@pytest.mark.parametrize(
    "reply, wrong_intent",
    [
        ("I have fillings", "affirm"),
        ("I have braces on my teeth", "affirm"),
        ("yes, braces", "affirm"),
        ("just dental fillings", "affirm"),
        ("yes I have metal fillings", "affirm"),
        ("only metal in my teeth", "affirm"),
        ("no metal, just fillings", "affirm"),
        ("I don't have any metal in my head", "affirm"),
        ("no implants", "affirm"),
        ("nothing like a plate or clips", "affirm"),
    ],
)
def test_braces_fillings_or_denied_implants_are_no_to_the_metal_question(reply, wrong_intent):
    assert parse_yes_no(reply, None, "metal_in_head") == NO
    assert parse_yes_no(reply, wrong_intent, "metal_in_head") == NO


@pytest.mark.parametrize(
    "reply",
    [
        "I have a cochlear implant",
        "metal plate in my skull",
        "aneurysm clips",
        "a shunt",
        "I have a deep brain stimulator",
        "fillings and a cochlear implant",
        "no cochlear implant but aneurysm clips",
    ],
)
def test_metal_or_implants_in_the_head_are_yes(reply):
    assert parse_yes_no(reply, None, "metal_in_head") == YES
    assert parse_yes_no(reply, "deny", "metal_in_head") == YES


def test_an_implant_with_a_stray_no_is_asked_again_not_guessed():
    """"I have a shunt, no problems with it" must not become "no metal"."""
    for intent in (None, "deny", "affirm"):
        assert parse_yes_no("I have a shunt, no problems with it", intent, "metal_in_head") is None


def test_an_unsure_implant_stays_unsure():
    assert parse_yes_no("I might have a metal fragment", None, "metal_in_head") == UNSURE


def test_fillings_are_only_special_on_the_metal_question():
    assert parse_yes_no("I have fillings", None, "tried_psychotherapy") == YES


# 4. Strong no's and pregnancy in the person's own words.

@pytest.mark.parametrize(
    "reply", ["definitely not", "absolutely not", "nope never", "of course not", "no I am not"]
)
@pytest.mark.parametrize("intent", [None, "affirm", "inform", "nlu_fallback"])
def test_strong_no_is_no_whatever_the_intent(reply, intent):
    assert parse_yes_no(reply, intent) == NO


@pytest.mark.parametrize(
    "reply, answer",
    [
        ("im pregnant", YES),
        ("I'm pregnant", YES),
        ("yes, 12 weeks pregnant", YES),
        ("we're trying to conceive", YES),
        ("I'm not pregnant", NO),
        ("not pregnant", NO),
        ("no plans to get pregnant", NO),
        ("I'm not pregnant but planning to be", YES),
        ("no, I'm 58, definitely not pregnant", NO),
    ],
)
@pytest.mark.parametrize("intent", [None, "ask_contraindications", "inform"])
def test_pregnancy_in_the_persons_own_words(reply, answer, intent):
    assert parse_yes_no(reply, intent, "pregnant") == answer


@pytest.mark.parametrize(
    "reply", ["no clue", "not positive", "can't recall", "hard to say", "nto sure"]
)
def test_more_ways_of_not_knowing(reply):
    assert parse_yes_no(reply, "deny") == UNSURE
