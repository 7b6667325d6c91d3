"""How many different antidepressants a reply says the person has tried.

Brand and generic names of one medication count once, a combination product is
one medication, doses and years are not counts,
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


@pytest.mark.parametrize(
    "reply, count",
    [
        ("Prozac 20", 1),
        ("Zoloft 100", 1),
        ("Wellbutrin XL 300", 1),
        ("Prozac at 20", 1),
        ("Zoloft (100mg) and Lexapro 10mg", 2),
        ("Lexapro 10 and Zoloft 50", 2),
        ("just Prozac in 2015", 1),
        ("prozac since 2019", 1),
        ("Zoloft in 2012 and Lexapro in 2018", 2),
        ("Zoloft 100 and 2 others", 3),
    ],
)
def test_doses_and_years_next_to_names_are_not_counts(reply, count):
    """"Prozac 20" once read as 20 ("You've tried 20 antidepressant(s)")."""
    assert count_medications(reply) == count


@pytest.mark.parametrize(
    "reply, count",
    [
        ("olanzapine-fluoxetine", 1),
        ("Symbyax", 1),
        ("olanzapine/fluoxetine", 1),
        ("olanzapine-fluoxetine and Prozac", 2),
        ("dextromethorphan-bupropion", 1),
    ],
)
def test_a_combination_product_is_one_medication(reply, count):
    assert count_medications(reply) == count


@pytest.mark.parametrize(
    "reply, count",
    [
        ("I've tried about a dozen", 12),
        ("half a dozen", 6),
        ("a couple", 2),
        ("about 4", 4),
        ("twenty two", 22),
    ],
)
def test_counts_in_words(reply, count):
    assert count_medications(reply) == count


def test_a_few_counts_as_three():
    """Only none, one, and two or more change the outcome; "a few" is more than two,
    so it is taken as 3 rather than asking a person who answered to answer again."""
    assert count_medications("a few") == 3
    assert count_medications("I've tried a few") == 3


@pytest.mark.parametrize(
    "reply, intent",
    [("none", None), ("never", None), ("never", "affirm"), ("I have never tried any", None),
     ("nope never", None), ("definitely not", None)],
)
def test_never_and_none_are_zero_whatever_the_intent(reply, intent):
    assert count_medications(reply, intent) == 0


@pytest.mark.parametrize("reply", ["pass", "next", "next question", "I'd rather not say"])
def test_a_skip_on_its_own_skips_the_count(reply):
    assert count_medications(reply, "skip_question") == SKIPPED


def test_a_count_with_a_skip_word_is_a_count():
    assert count_medications("Zoloft, next question", "skip_question") == 1
    assert count_medications("2, next", "skip_question") == 2
