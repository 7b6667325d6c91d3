"""How the checklist reads free-text answers: yes/no/unsure/skip, ages, and counts.

Each case is a reply a person could type (or a button payload), and the value the
checklist should take from it; None means "that was not an answer", so the
question is asked again with a hint.
"""

import pytest

from actions.answer_parsing import (
    NO,
    SKIPPED,
    UNSURE,
    YES,
    numbers_in,
    parse_age,
    parse_yes_no,
)


@pytest.mark.parametrize(
    "reply",
    ["yes", "Yes", "yeah", "yep", "y", "I have", "yes I was", "Yes, I was."],
)
def test_yes_replies_are_read_as_yes(reply):
    assert parse_yes_no(reply) == YES


@pytest.mark.parametrize(
    "reply",
    [
        "no",
        "No.",
        "nope",
        "nah",
        "never",
        "not that I know of",
        "doesn't apply",
        "doesn\u2019t apply",
        "I'm a man",
    ],
)
def test_no_replies_are_read_as_no(reply):
    assert parse_yes_no(reply) == NO


@pytest.mark.parametrize(
    "reply", ["unsure", "idk", "not sure", "I'm not sure", "I don't know", "maybe"]
)
def test_unsure_replies_are_read_as_unsure(reply):
    assert parse_yes_no(reply) == UNSURE


def test_not_sure_is_unsure_and_not_a_no():
    """"not sure" contains "not", a no-word; the person did not say no."""
    assert parse_yes_no("not sure") == UNSURE
    assert parse_yes_no("not sure", intent="deny") == UNSURE


@pytest.mark.parametrize("reply", ["skip", "Skip this", "I'd rather not say"])
def test_skip_replies_skip_the_question(reply):
    assert parse_yes_no(reply) == SKIPPED


def test_skip_question_intent_skips_the_question():
    assert parse_yes_no("/skip_question", intent="skip_question") == SKIPPED


@pytest.mark.parametrize(
    "payload, intent, expected",
    [
        ("/affirm", "affirm", YES),
        ("/deny", "deny", NO),
        ("/unsure", "unsure", UNSURE),
        ("of course", "affirm", YES),
    ],
)
def test_button_intent_decides_the_answer(payload, intent, expected):
    assert parse_yes_no(payload, intent=intent) == expected


@pytest.mark.parametrize(
    "reply",
    ["yes and no", "", "what do you mean?", "banana"],
)
def test_contradictory_empty_or_unrelated_replies_are_not_answers(reply):
    assert parse_yes_no(reply) is None


@pytest.mark.parametrize(
    "reply, age",
    [
        ("34", 34),
        ("I'm 52", 52),
        ("52 years old", 52),
        ("sixty", 60),
        ("seventy one", 71),
        ("twenty-seven", 27),
    ],
)
def test_ages_in_digits_or_words(reply, age):
    assert parse_age(reply) == age


def test_age_can_be_skipped():
    assert parse_age("skip") == SKIPPED


@pytest.mark.parametrize("reply", ["5", "200", "abc", ""])
def test_implausible_or_missing_ages_are_not_answers(reply):
    assert parse_age(reply) is None


def test_doses_and_durations_are_not_counts():
    assert numbers_in("Prozac 20 mg for 2 years") == []
    assert numbers_in("Prozac 20mg") == []


def test_counts_next_to_durations_are_kept():
    assert numbers_in("tried 2, each for 6 weeks") == [2]
    assert numbers_in("three") == [3]
