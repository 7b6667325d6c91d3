"""How many different antidepressants a reply says the person has tried.

Brand and generic names of one medication count once, doses are not counts,
common misspellings are recognised, and replies that are not a count give None
so the question is asked again.
"""

import pytest

from actions.answer_parsing import SKIPPED, UNSURE
from actions.medications import count_medications


@pytest.mark.parametrize(
    "reply, count",
    [
        ("Zoloft and Lexapro", 2),
        ("sertraline (Zoloft)", 1),
        ("Wellbutrin XL and bupropion", 1),
        ("Prozac, Wellbutrin and Effexor", 3),
        ("Prozac 20mg", 1),
        ("Prozac 20 mg for 2 years", 1),
        ("zolof, lexipro, welbutrin", 3),
    ],
)
def test_named_medications_are_counted_once_each(reply, count):
    assert count_medications(reply) == count


@pytest.mark.parametrize(
    "reply, count",
    [
        ("three", 3),
        ("3", 3),
        ("3 or more", 3),
        ("4 or 5", 5),
        ("Zoloft and 2 others", 3),
    ],
)
def test_stated_numbers_are_counted(reply, count):
    assert count_medications(reply) == count


@pytest.mark.parametrize(
    "reply, intent",
    [("none", None), ("zero", None), ("no", "deny")],
)
def test_no_medication_is_zero(reply, intent):
    assert count_medications(reply, intent) == 0


@pytest.mark.parametrize(
    "reply, answer", [("not sure", UNSURE), ("skip", SKIPPED)]
)
def test_unsure_and_skip_are_kept_as_such(reply, answer):
    assert count_medications(reply) == answer


@pytest.mark.parametrize(
    "reply, intent",
    [
        ("asdfgh qwerty", None),
        ("yes", None),
        ("yes", "affirm"),
        ("500", None),
    ],
    ids=["gibberish", "yes-typed", "yes-button", "implausible-500"],
)
def test_replies_that_are_not_a_count_give_none(reply, intent):
    assert count_medications(reply, intent) is None
