"""Counts how many different antidepressants a reply names or states.

"Zoloft and Lexapro" is 2; "sertraline (Zoloft)" is 1 (brand and generic are one
medication); "3" or "three" is 3; "Zoloft and 2 others" is 3. A number right after
a name ("Prozac 20", "Wellbutrin XL 300"), or before "mg", is a dose and a year
("Prozac in 2015") is a date: neither is a count. Names come from
lexicons/antidepressants.yml and are found with a spaCy PhraseMatcher over the blank
English tokenizer; where two names overlap only the longest counts, so the
combination "olanzapine-fluoxetine" is one medication and not also fluoxetine.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import FrozenSet, List, Optional, Tuple, Union

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.util import filter_spans

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
# Words between a name and its dose: "Prozac at 20", "Zoloft (100".
DOSE_LINKS = {"at", "@", "("}


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
        return self.read(text)[0]

    def read(self, text: str) -> Tuple[FrozenSet[str], str]:
        """The medications the text names, and the text left once the names and the
        doses written right after them are taken out."""
        doc, matcher = self.spacy.doc(space_symbols(text))
        spans = filter_spans(matcher(doc, as_spans=True))
        names = frozenset(span.label_ for span in spans)
        left_out = set()
        for span in spans:
            left_out.update(range(span.start, span.end))
            following = span.end
            while following < len(doc) and doc[following].lower_ in DOSE_LINKS:
                following += 1
            if following < len(doc) and doc[following].text[:1].isdigit():
                left_out.add(following)
        rest: List[str] = [token.text for token in doc if token.i not in left_out]
        return names, " ".join(rest)


@lru_cache(maxsize=1)
def medication_matcher() -> MedicationMatcher:
    """The process-wide matcher (building it reads the lexicon once)."""
    return MedicationMatcher()


def read_medications(text: str) -> MedicationMention:
    """Names found in the text and the count it states, before deciding."""
    names, rest = medication_matcher().read(text)
    numbers = numbers_in(rest)
    more_words = load_lexicon("answers")["more_words"]
    says_more = any(word in normalise(rest).split() for word in more_words)
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
