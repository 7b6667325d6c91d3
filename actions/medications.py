"""Counts how many different antidepressants a reply names or states.

"Zoloft and Lexapro" is 2; "sertraline (Zoloft)" is 1 (brand and generic are one
medication); "3" or "three" is 3; "Zoloft and 2 others" is 3; "Prozac 20 mg" is 1
(a dose is not a count). Names come from lexicons/antidepressants.yml and are found
with a spaCy PhraseMatcher over the blank English tokenizer.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import FrozenSet, Optional, Union

from spacy.language import Language
from spacy.matcher import PhraseMatcher

from actions.answer_parsing import (
    NO,
    SKIPPED,
    UNSURE,
    normalise,
    numbers_in,
    parse_yes_no,
)
from actions.lexicons import load_lexicon
from components.renewable_spacy import RenewableSpacy
from components.text_normalisation import space_symbols

MAX_PLAUSIBLE_COUNT = 40


@dataclass(frozen=True)
class MedicationMention:
    """What a reply says about medications: the names found and the stated number."""

    names: FrozenSet[str]
    count: Optional[int]


class MedicationMatcher:
    """Finds antidepressants by generic or brand name, including common misspellings."""

    def __init__(self) -> None:
        medications = load_lexicon("antidepressants")["antidepressants"]

        def phrase_matcher(nlp: Language) -> PhraseMatcher:
            matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
            for generic, aliases in medications.items():
                names = {generic, *map(str, aliases)}
                matcher.add(generic, [nlp.make_doc(space_symbols(name.lower())) for name in names])
            return matcher

        self.spacy = RenewableSpacy(phrase_matcher)

    def generic_names(self, text: str) -> FrozenSet[str]:
        """The distinct medications (by generic name) that the text mentions."""
        doc, matcher = self.spacy.doc(space_symbols(text))
        return frozenset(doc.vocab.strings[match_id] for match_id, _, _ in matcher(doc))


@lru_cache(maxsize=1)
def medication_matcher() -> MedicationMatcher:
    """The process-wide matcher (building it reads the lexicon once)."""
    return MedicationMatcher()


def read_medications(text: str) -> MedicationMention:
    """Names found in the text and the count it states, before deciding."""
    names = medication_matcher().generic_names(text)
    numbers = numbers_in(text)
    more_words = load_lexicon("answers")["more_words"]
    tokens = normalise(text).split()
    says_more = any(word in tokens for word in more_words)
    if names and numbers and says_more:
        return MedicationMention(names, len(names) + max(numbers))
    if numbers:
        return MedicationMention(names, max([len(names), *numbers]))
    return MedicationMention(names, len(names) if names else None)


def count_medications(text: str, intent: Optional[str] = None) -> Union[int, str, None]:
    """The number of antidepressants tried, UNSURE, SKIPPED, or None if unclear."""
    mention = read_medications(text)
    if mention.count is not None:
        return mention.count if mention.count <= MAX_PLAUSIBLE_COUNT else None
    answer = parse_yes_no(text, intent)
    if answer == NO:
        return 0
    if answer in (UNSURE, SKIPPED):
        return answer
    return None
