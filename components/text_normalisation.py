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

APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc\u0060\u00b4]")
HYPHEN_BETWEEN_LETTERS = re.compile(r"(?<=[a-z])[-\u2010\u2011\u2012\u2013\u2014_](?=[a-z])")
REPEATED_LETTER = re.compile(r"([a-z])\1+")
SPACED_LETTERS = re.compile(r"(?<!\S)[a-z](?:[ .*_][a-z]){2,}(?![^\s.,!?])")
LETTER_SEPARATORS = re.compile(r"[ .*_]")
INVISIBLE_CATEGORY = "Cf"
COMBINING_GRAPHEME_JOINER = "\u034f"
VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f]")
SYMBOL = re.compile(r"([^\w\s])")
WHITESPACE = re.compile(r"\s+")


def space_symbols(text: str) -> str:
    """The text with a space on each side of every symbol and punctuation mark."""
    return WHITESPACE.sub(" ", SYMBOL.sub(r" \1 ", text or "")).strip()


def normalise(text: str) -> str:
    """Folds the ways people type one phrase into one form, for text and patterns alike."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = "".join(
        char for char in text
        if unicodedata.category(char) != INVISIBLE_CATEGORY and char != COMBINING_GRAPHEME_JOINER
    )
    text = VARIATION_SELECTORS.sub("", text)
    text = APOSTROPHES.sub("", text)
    text = HYPHEN_BETWEEN_LETTERS.sub(" ", text)
    text = SPACED_LETTERS.sub(lambda run: LETTER_SEPARATORS.sub("", run.group(0)), text)
    text = REPEATED_LETTER.sub(r"\1", text)
    return space_symbols(text)
