"""Turns a free-text checklist answer into a value, or None when it is not an answer.

Yes/no answers come back as YES, NO or UNSURE; any question may be SKIPPED.
Numbers may be digits or words ("three", "twenty-seven", "a couple").
The word lists are data, in lexicons/answers.yml.
"""

import re
from typing import List, Optional, Union

from actions.lexicons import load_lexicon

YES, NO, UNSURE, SKIPPED, NOT_APPLICABLE = "yes", "no", "unsure", "skipped", "not applicable"
INTENT_ANSWERS = {"affirm": YES, "deny": NO, "unsure": UNSURE, "skip_question": SKIPPED}
MIN_AGE, MAX_AGE = 10, 110

WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?|%|/")


def normalise(text: str) -> str:
    """Lower case, apostrophes and slash-command prefix dropped, spaces folded."""
    text = (text or "").lower().replace("'", "").replace("\u2019", "")
    text = re.sub(r"^/\w+", "", text.strip())
    return " ".join(re.findall(r"[a-z0-9%/]+", text))


def _has_phrase(text: str, phrases: List[str]) -> bool:
    padded = f" {text} "
    return any(f" {normalise(phrase)} " in padded for phrase in phrases)


def parse_skip(text: str, intent: Optional[str]) -> bool:
    """True when the person asks to skip the question."""
    words = load_lexicon("answers")
    return intent == "skip_question" or _has_phrase(normalise(text), words["skip_words"])


def parse_yes_no(text: str, intent: Optional[str] = None) -> Optional[str]:
    """YES, NO, UNSURE or SKIPPED; None when the reply does not answer the question.

    "Not sure" wins over everything (it contains "not"); then the classified intent;
    then the words themselves, which must point one way only.
    """
    words = load_lexicon("answers")
    clean = normalise(text)
    if parse_skip(text, intent):
        return SKIPPED
    if intent == "unsure" or _has_phrase(clean, words["unsure_words"]):
        return UNSURE
    if intent in ("affirm", "deny"):
        return INTENT_ANSWERS[intent]
    said_yes = _has_phrase(clean, words["yes_words"])
    said_no = _has_phrase(clean, words["no_words"])
    if said_yes != said_no:
        return YES if said_yes else NO
    return None


def _word_numbers(tokens: List[str]) -> List[int]:
    """Numbers written in words: "three" -> 3, "twenty seven" -> 27, "forty-one" -> 41."""
    words = load_lexicon("answers")
    units, tens = words["numbers"], words["tens"]
    found: List[int] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in tens:
            value = tens[token]
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            if following in units and 0 < units[following] < 10:
                value += units[following]
                index += 1
            found.append(value)
        elif token in units:
            found.append(units[token])
        index += 1
    return found


def numbers_in(text: str, skip_units: bool = True) -> List[int]:
    """Every whole number in the text, in digits or words, minus doses and durations."""
    words = load_lexicon("answers")
    tokens = WORD.findall(normalise(text).replace("-", " "))
    units = set(words["not_a_count_units"])
    digits = []
    for index, token in enumerate(tokens):
        if re.fullmatch(r"\d+(\.\d+)?", token):
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            if skip_units and following in units:
                continue
            digits.append(int(float(token)))
    return digits + _word_numbers([t for t in tokens if not t.isdigit()])


def parse_age(text: str) -> Union[int, str, None]:
    """An age in years (MIN_AGE to MAX_AGE), SKIPPED, or None."""
    if parse_skip(text, None):
        return SKIPPED
    numbers = [n for n in numbers_in(text, skip_units=False) if n > 0]
    plausible = [n for n in numbers if MIN_AGE <= n <= MAX_AGE]
    return plausible[0] if plausible else None
