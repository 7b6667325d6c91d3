"""Turns a free-text checklist answer into a value, or None when it is not an answer.

Yes/no answers come back as YES, NO or UNSURE; any question may be SKIPPED.
Numbers may be digits or words ("three", "twenty-seven", "a couple", "a dozen").
The word lists are data, in lexicons/answers.yml; the phrases are read by
actions/answer_words.py (the longest listed phrase wins where two overlap).

The words of a typed reply decide before the classified intent does: the intent
only settles a reply whose words say nothing clear (a button payload, "you bet").
A skip phrase ("skip", "pass", "next question") skips the question only when no
answer can be read from the reply, so "44, next question" is 44.
"""

import re
from functools import lru_cache
from typing import Dict, List, Optional, Tuple, Union

from actions.answer_words import Found, Words, find_phrases, phrase_key, phrase_table, read_words
from actions.lexicons import load_lexicon

YES, NO, UNSURE, SKIPPED, NOT_APPLICABLE = "yes", "no", "unsure", "skipped", "not applicable"
INTENT_ANSWERS = {"affirm": YES, "deny": NO, "unsure": UNSURE}
SKIP_INTENT = "skip_question"
MIN_AGE, MAX_AGE = 10, 110
FIRST_YEAR, LAST_YEAR = 1900, 2100
# What a phrase of the reply means: the generic words, and the question's own things.
SKIP, MEANS_YES, MEANS_NO, FILLER = "skip", "means yes", "means no", "filler"
# A reply that names the question's things and contradicts itself: asked again,
# never settled by the intent ("I have a shunt, no problems with it").
CONTRADICTORY = "contradictory"

WORD = re.compile(r"\d+(?:\.\d+)?|[a-z]+|%|/")


def normalise(text: str) -> str:
    """Lower case, apostrophes and slash-command prefix dropped, spaces folded."""
    text = (text or "").lower().replace("'", "").replace("\u2019", "")
    text = re.sub(r"^/\w+", "", text.strip())
    return " ".join(re.findall(r"[a-z0-9%/]+", text))


@lru_cache(maxsize=None)
def _answer_table(slot: Optional[str]) -> Dict[Tuple[str, ...], str]:
    """Phrase -> meaning for a question's replies: its own things first, then the
    skip, filler, no and yes words (a phrase listed twice keeps its first meaning)."""
    words = load_lexicon("answers")
    own = words.get("slot_words", {}).get(slot or "", {})
    return phrase_table(
        [
            (MEANS_YES, own.get("means_yes", [])),
            (MEANS_NO, own.get("means_no", [])),
            (SKIP, words["skip_words"]),
            (FILLER, words["filler_words"]),
            (NO, words["no_words"]),
            (YES, words["yes_words"]),
        ]
    )


@lru_cache(maxsize=None)
def _unsure_table() -> Dict[Tuple[str, ...], str]:
    return phrase_table([(UNSURE, load_lexicon("answers")["unsure_words"])])


def _read(text: str) -> Words:
    return read_words(text, load_lexicon("answers")["clause_words"])


def _first_negators(reply: Words) -> Dict[int, int]:
    """Clause number -> the position of its first negator ("no", "not", "never")."""
    negators = set(load_lexicon("answers")["negators"])
    first: Dict[int, int] = {}
    for index, word in enumerate(reply.words):
        if word in negators:
            first.setdefault(reply.clauses[index], index)
    return first


def _answer_from_things(found: List[Found], reply: Words) -> Optional[str]:
    """The answer the question's own things give ("I have fillings" is no on the
    metal question), CONTRADICTORY, or None when the reply names none of them.

    A named thing is denied by a negator before it in its clause ("no implants");
    a "no" counts on its own unless it denies a named thing later in its clause.
    """
    named = [item for item in found if item.meaning == MEANS_YES]
    if not named and not any(item.meaning == MEANS_NO for item in found):
        return None
    first_negator = _first_negators(reply)
    denied, affirmed = [], []
    for item in named:
        clause = reply.clauses[item.start]
        is_denied = first_negator.get(clause, item.start) < item.start
        (denied if is_denied else affirmed).append(item)
    last_denied: Dict[int, int] = {}
    for item in denied:
        last_denied[reply.clauses[item.start]] = item.start
    lone_no = [
        item for item in found
        if item.meaning == NO and last_denied.get(reply.clauses[item.start], -1) < item.end
    ]
    said_yes = any(item.meaning == YES for item in found)
    if affirmed:
        return CONTRADICTORY if lone_no else YES
    if denied:
        return CONTRADICTORY if said_yes else NO
    return NO


@lru_cache(maxsize=None)
def _question_openers() -> Dict[Tuple[str, ...], str]:
    return phrase_table([("question", load_lexicon("answers")["question_openers"])])


def is_question(text: str) -> bool:
    """A question mark, or a clause that opens with a question word ("can I have
    TMS with a shunt", "I have a shunt, does that matter")."""
    if "?" in (text or ""):
        return True
    reply = _read(text)
    opens_clause = lambda at: at == 0 or reply.clauses[at - 1] != reply.clauses[at]  # noqa: E731
    return any(opens_clause(item.start)
               for item in find_phrases(reply.words, _question_openers()))


def parse_skip(text: str, intent: Optional[str]) -> bool:
    """True when the reply asks to skip: the skip intent or a skip phrase, whatever
    else it says (callers first look for an answer in it)."""
    found = find_phrases(_read(text).words, _answer_table(None))
    return intent == SKIP_INTENT or any(item.meaning == SKIP for item in found)


def parse_yes_no(
    text: str, intent: Optional[str] = None, slot: Optional[str] = None
) -> Optional[str]:
    """YES, NO, UNSURE or SKIPPED; None when the reply does not answer the question.

    "Not sure" wins over everything (it contains "not"); then the things the
    question asks about (`slot` in lexicons/answers.yml slot_words); then the yes
    and no words, which must point one way only; then a skip phrase; then the
    classified intent (a button's payload has no words).
    """
    reply = _read(text)
    if find_phrases(reply.words, _unsure_table()):
        return UNSURE
    found = find_phrases(reply.words, _answer_table(slot))
    from_things = _answer_from_things(found, reply)
    if from_things is not None:
        return None if from_things == CONTRADICTORY else from_things
    said_yes = any(item.meaning == YES for item in found)
    said_no = any(item.meaning == NO for item in found)
    if said_yes != said_no:
        return YES if said_yes else NO
    if any(item.meaning == SKIP for item in found):
        return SKIPPED
    if intent in INTENT_ANSWERS:
        return INTENT_ANSWERS[intent]
    return SKIPPED if intent == SKIP_INTENT else None


def _number_tokens(text: str) -> List[str]:
    text = re.sub(r"^\s*/\w+", "", (text or "").lower())
    return WORD.findall(re.sub(r"['\u2018\u2019]", "", text))


@lru_cache(maxsize=None)
def _word_number_table() -> Dict[Tuple[str, ...], Tuple[str, int]]:
    words = load_lexicon("answers")
    return phrase_table(
        [(("unit", value), [name]) for name, value in words["numbers"].items()]
        + [(("ten", value), [name]) for name, value in words["tens"].items()]
    )


def _word_numbers(tokens: List[str]) -> List[Tuple[int, int]]:
    """(position, value) of numbers written in words: "three" -> 3, "twenty seven"
    -> 27, "forty-one" -> 41, "half a dozen" -> 6."""
    found = find_phrases(tuple(tokens), _word_number_table())
    numbers: List[Tuple[int, int]] = []
    index = 0
    while index < len(found):
        (kind, value), start = found[index].meaning, found[index].start
        following = found[index + 1] if index + 1 < len(found) else None
        if (
            kind == "ten" and following is not None and following.start == found[index].end
            and following.meaning[0] == "unit" and 0 < following.meaning[1] < 10
        ):
            value += following.meaning[1]
            index += 1
        numbers.append((start, value))
        index += 1
    return numbers


def _numbers(tokens: List[str], skip_units: bool) -> List[Tuple[int, int]]:
    """(position, value) of every whole number, in reading order, minus years, and
    minus doses and durations when `skip_units`."""
    units = set(load_lexicon("answers")["not_a_count_units"])
    numbers = []
    for index, token in enumerate(tokens):
        if not token[0].isdigit():
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if skip_units and following in units:
            continue
        if "." not in token and FIRST_YEAR <= int(token) <= LAST_YEAR:
            continue
        numbers.append((index, int(float(token))))
    return sorted(numbers + _word_numbers(tokens))


def numbers_in(text: str, skip_units: bool = True) -> List[int]:
    """Every whole number in the text, in digits or words, minus doses, durations
    and years."""
    return [value for _, value in _numbers(_number_tokens(text), skip_units)]


def _age_at(tokens: List[str], position: int, value: int) -> int:
    """The age a number at `position` gives: one less after "I turn"/"I'll be"."""
    for phrase in load_lexicon("answers")["next_birthday_words"]:
        key = phrase_key(phrase)
        if position >= len(key) and tuple(tokens[position - len(key):position]) == key:
            return value - 1
    return value


def parse_age(text: str, intent: Optional[str] = None) -> Union[int, str, None]:
    """An age in years (MIN_AGE to MAX_AGE), SKIPPED, or None."""
    tokens = _number_tokens(text)
    ages = [_age_at(tokens, position, value) for position, value in _numbers(tokens, False)]
    plausible = [age for age in ages if MIN_AGE <= age <= MAX_AGE]
    if plausible:
        return plausible[0]
    return SKIPPED if parse_skip(text, intent) else None
