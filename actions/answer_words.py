"""The words of a checklist reply, and the listed phrases found among them.

read_words() splits a reply into lower-case words (apostrophes dropped, so "don't"
is "dont"; a leading button command such as "/affirm" dropped) and numbers each
word's clause: punctuation and words like "but" start a new clause, so that the
"no" of "no, but I have a cochlear implant" does not deny the implant.

find_phrases() finds listed phrases, the longest where two overlap, so that
"definitely not" is read as one phrase and not as "definitely" and "not", and
"metal fillings" as one and not as "metal" and "fillings".
"""

import re
from dataclasses import dataclass
from typing import Dict, Generic, Iterable, List, Mapping, Tuple, TypeVar

T = TypeVar("T")
COMMAND_PREFIX = re.compile(r"^\s*/\w+")
CLAUSE_MARKS = ".,;:!?()"
PIECE = re.compile(r"[a-z0-9%/]+|[.,;:!?()]")
APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`\u00b4]")


@dataclass(frozen=True)
class Words:
    """A reply's words and, for each, the number of the clause it is in."""

    words: Tuple[str, ...]
    clauses: Tuple[int, ...]


@dataclass(frozen=True)
class Found(Generic[T]):
    """A listed phrase found at words[start:end], with what the list says it means."""

    start: int
    end: int
    meaning: T


def phrase_key(phrase: str) -> Tuple[str, ...]:
    """A listed phrase as the words read_words() would give for it."""
    return read_words(phrase).words


def read_words(text: str, clause_words: Iterable[str] = ()) -> Words:
    """The reply's words; punctuation and `clause_words` ("but") separate clauses."""
    text = APOSTROPHES.sub("", (text or "").lower())
    text = COMMAND_PREFIX.sub("", text)
    breaks = set(clause_words)
    words: List[str] = []
    clauses: List[int] = []
    clause = 0
    for piece in PIECE.findall(text):
        if piece in breaks or piece in CLAUSE_MARKS:
            clause += 1
            continue
        words.append(piece)
        clauses.append(clause)
    return Words(tuple(words), tuple(clauses))


def phrase_table(lists: Iterable[Tuple[T, Iterable[str]]]) -> Dict[Tuple[str, ...], T]:
    """Phrase -> meaning, from (meaning, phrases) pairs; an earlier pair wins a tie."""
    table: Dict[Tuple[str, ...], T] = {}
    for meaning, phrases in lists:
        for phrase in phrases:
            key = phrase_key(str(phrase))
            if key:
                table.setdefault(key, meaning)
    return table


def find_phrases(words: Tuple[str, ...], table: Mapping[Tuple[str, ...], T]) -> List[Found[T]]:
    """The listed phrases in `words`, in reading order: where two overlap, the longer
    is kept (the earlier one if they are as long)."""
    longest = max((len(key) for key in table), default=0)
    candidates = [
        Found(start, start + length, table[words[start:start + length]])
        for start in range(len(words))
        for length in range(1, min(longest, len(words) - start) + 1)
        if words[start:start + length] in table
    ]
    candidates.sort(key=lambda found: (found.start - found.end, found.start))
    taken = [False] * len(words)
    kept: List[Found[T]] = []
    for found in candidates:
        if not any(taken[found.start:found.end]):
            taken[found.start:found.end] = [True] * (found.end - found.start)
            kept.append(found)
    return sorted(kept, key=lambda found: found.start)
