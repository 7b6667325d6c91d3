"""One way of folding what people type, for every matcher and classifier of the project.

normalise() makes the ways people type one phrase into one form: lower case,
Unicode compatibility forms, invisible characters removed (the soft hyphen, zero-width
spaces, bidi controls, the combining grapheme joiner, emoji variation selectors: a word
with one inside reads the same to a person, so it must match the same), apostrophes
dropped ("don't" = "dont"), hyphens between letters spaced, letters typed one by one
joined ("k i l l  m y s e l f" = "kill myself", "k.m.s" = "kms": three or more single
letters apart by one space, dot, asterisk or underscore make one word; a wider gap
separates words), repeated letters collapsed ("kiill" = "kill"), and symbols spaced
(space_symbols).

space_symbols() puts every symbol and punctuation mark apart. spaCy's tokenizer
strips prefix and suffix symbols from a token one at a time, searching the rest of
the token each time, so a long run of symbols with no space ("$$$$...", "!?!?...",
")))...", emoji) cost time quadratic in its length: 5,000 of them took 3 to 7 s of
a server's only event loop. Spaced, every token is short and tokenizing is linear.
Phrases to match go through the same functions as messages, so matching is unchanged.
"""

import re
import unicodedata
from typing import Iterator, List, Tuple

APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc\u0060\u00b4]")
HYPHEN_BETWEEN_LETTERS = re.compile(r"(?<=[a-z])[-\u2010\u2011\u2012\u2013\u2014_](?=[a-z])")
REPEATED_LETTER = re.compile(r"([a-z])\1+")
SPACED_LETTERS = re.compile(r"(?<!\S)[a-z](?:[ .*_][a-z]){2,}(?![^\s.,!?])")
LETTER_SEPARATORS = re.compile(r"[ .*_]")
NEXT_WORD = re.compile(r"\s+[a-z]{2,}")
INVISIBLE_CATEGORY = "Cf"
COMBINING_GRAPHEME_JOINER = "\u034f"
VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f]")
SYMBOL = re.compile(r"([^\w\s])")
WHITESPACE = re.compile(r"\s+")


def space_symbols(text: str) -> str:
    """The text with a space on each side of every symbol and punctuation mark."""
    return WHITESPACE.sub(" ", SYMBOL.sub(r" \1 ", text or "")).strip()


def _fold_characters(text: str) -> str:
    """Lower case, compatibility forms, no invisible characters, no apostrophes, and
    hyphens between letters spaced: the steps before letters typed apart are joined."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = "".join(
        char for char in text
        if unicodedata.category(char) != INVISIBLE_CATEGORY and char != COMBINING_GRAPHEME_JOINER
    )
    text = VARIATION_SELECTORS.sub("", text)
    text = APOSTROPHES.sub("", text)
    return HYPHEN_BETWEEN_LETTERS.sub(" ", text)


def _spelled_out_runs(text: str) -> Iterator[Tuple[int, int, str]]:
    """(start, end, word) of every run of letters typed one by one, as one word.

    A lone "a" or "i" before a spelled word stays a word of its own ("a r o p e" is
    "a rope", "i m g o n n a" is "i mgona"), and so does an "i" that starts the next
    clause ("the a i i have a plan"); what is left must still be three letters.
    """
    for run in SPACED_LETTERS.finditer(text):
        letters = LETTER_SEPARATORS.split(run.group(0))
        start, end = run.start(), run.end()
        if letters[-1] == "i" and NEXT_WORD.match(text, end):
            letters, end = letters[:-1], end - 2
        if len(letters) >= 4 and letters[0] in ("a", "i"):
            letters, start = letters[1:], start + 2
        if len(letters) >= 3:
            yield start, end, "".join(letters)


def spelled_out_words(text: str) -> List[str]:
    """The words a message typed letter by letter ("s u i c i d e"), normalised."""
    folded = _fold_characters(text)
    return [REPEATED_LETTER.sub(r"\1", word) for _, _, word in _spelled_out_runs(folded)]


def normalise(text: str) -> str:
    """Folds the ways people type one phrase into one form, for text and patterns alike."""
    text = _fold_characters(text)
    joined, position = [], 0
    for start, end, word in _spelled_out_runs(text):
        joined += [text[position:start], word]
        position = end
    text = "".join(joined) + text[position:]
    text = REPEATED_LETTER.sub(r"\1", text)
    return space_symbols(text)
