"""The deterministic half of crisis detection: spaCy matching over lexicons/crisis.yml.

The lexicon is data (see the comments at the top of lexicons/crisis.yml for its
format). This module normalises text (components/text_normalisation.py), expands
"{form}" templates into phrases, and matches them over spaCy's blank English
tokenizer (no downloaded model is needed): the phrases as sequences of spaCy tokens,
the token patterns with spaCy's Matcher, and the whole messages (words that are a
crisis when they are all the message says, such as "suicidal" or "self harm.", but
not inside a question like "can TMS help with suicidal thoughts?") by comparing the
message's words, punctuation left out, with them. A crisis match that lies inside a
benign span ("not suicidal", "40 kms from") is dropped.

Expanded, the lexicon holds about 100,000 phrases. spaCy's PhraseMatcher needed 130
to 370 MB of memory for them (the Rasa server's whole budget is 600 MB, 540 of which
Rasa and TensorFlow take before any model is loaded) and seconds to load; a set of
the phrases' token sequences needs about 15 MB and loads in a tenth of a second,
and finds exactly the same spans (tests/unit/test_crisis_lexicon.py).
"""

import itertools
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple

import spacy
import yaml
from spacy.language import Language
from spacy.matcher import Matcher

from components.renewable_spacy import RenewableSpacy
from components.text_normalisation import normalise, spelled_out_words

TEMPLATE_SLOT = re.compile(r"\{(\w+)\}")

CRISIS = "crisis"
BENIGN = "benign"


def expand_template(template: str, forms: Dict[str, List[str]]) -> List[str]:
    """Every phrase a template stands for: "{kill} myself" -> "kill myself", ..."""
    names = TEMPLATE_SLOT.findall(template)
    unknown = [name for name in names if name not in forms]
    if unknown:
        raise ValueError(f"crisis lexicon: unknown form(s) {unknown} in {template!r}")
    if not names:
        return [template]
    phrases = []
    for choice in itertools.product(*(forms[name] for name in names)):
        values = iter(choice)
        phrases.append(TEMPLATE_SLOT.sub(lambda _: str(next(values)), template))
    return phrases


def _normalise_token_pattern(pattern: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Applies normalise() to the literal words of a Matcher pattern."""

    def fold(value: Any) -> Any:
        if isinstance(value, str):
            return normalise(value)
        if isinstance(value, list):
            return [fold(item) for item in value]
        if isinstance(value, dict):
            return {key: (fold(item) if key == "IN" else item) for key, item in value.items()}
        return value

    return [
        {key: (fold(value) if key == "LOWER" else value) for key, value in token.items()}
        for token in pattern
    ]


def compile_lexicon(lexicon: Dict[str, Any]) -> Dict[str, Any]:
    """The lexicon as the matchers use it: every phrase expanded, normalised and split
    into spaCy's tokens (joined by single spaces), every token pattern normalised.

    Compiling the lexicon (about 100,000 phrases once its templates are expanded)
    takes seconds; CrisisSafetyNet does it when the model is trained and stores the
    result in the model, so that starting a server does no text processing at all.
    """
    tokenizer = spacy.blank("en").tokenizer
    forms = {
        name: [str(value) for value in values]
        for name, values in (lexicon.get("forms") or {}).items()
    }

    def phrase_tokens(templates: Iterable[str]) -> List[str]:
        phrases = {
            normalise(phrase)
            for template in templates
            for phrase in expand_template(str(template), forms)
        }
        phrases.discard("")
        return sorted({" ".join(token.text for token in doc)
                       for doc in tokenizer.pipe(sorted(phrases))})

    return {
        "phrases": {CRISIS: phrase_tokens(lexicon.get("phrases") or []),
                    BENIGN: phrase_tokens(lexicon.get("benign") or [])},
        "whole_messages": phrase_tokens(lexicon.get("whole_messages") or []),
        "spelled_out": sorted({normalise(str(word)) for word in lexicon.get("spelled_out") or []}),
        "token_patterns": {
            CRISIS: [_normalise_token_pattern(p) for p in (lexicon.get("token_patterns") or {}).values()],
            BENIGN: [_normalise_token_pattern(p) for p in (lexicon.get("token_benign") or {}).values()],
        },
    }


class PhraseSet:
    """Phrases as sequences of tokens, found in a message by looking each run of its
    tokens up in a set (what spaCy's PhraseMatcher does, in a fraction of the memory)."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self._phrases = set(phrases)
        self._first_words = {phrase.split(" ", 1)[0] for phrase in self._phrases}
        self._longest = max((phrase.count(" ") + 1 for phrase in self._phrases), default=0)

    def spans(self, words: List[str]) -> List[Tuple[int, int]]:
        """(start, end) of every run of words that is one of the phrases."""
        found = []
        for start in range(len(words)):
            if words[start] not in self._first_words:
                continue
            run = ""
            for end in range(start + 1, min(len(words), start + self._longest) + 1):
                run = words[start] if end == start + 1 else f"{run} {words[end - 1]}"
                if run in self._phrases:
                    found.append((start, end))
        return found


class CrisisLexicon:
    """Finds crisis phrases in a message; knows nothing about Rasa."""

    def __init__(self, compiled: Dict[str, Any]) -> None:
        """Builds the matchers from a compiled lexicon (see compile_lexicon)."""
        self.phrases = {label: PhraseSet(compiled["phrases"][label]) for label in (CRISIS, BENIGN)}
        self.spelled_out = set(compiled.get("spelled_out") or [])
        self.whole_messages = set(compiled.get("whole_messages") or [])
        patterns = compiled["token_patterns"]

        def token_matcher(nlp: Language) -> Matcher:
            matcher = Matcher(nlp.vocab)
            for label in (CRISIS, BENIGN):
                for pattern in patterns[label]:
                    matcher.add(label, [pattern])
            return matcher

        self.spacy = RenewableSpacy(token_matcher)

    @classmethod
    def from_file(cls, path: Path) -> "CrisisLexicon":
        """Builds the matchers from a lexicon YAML file."""
        return cls(compile_lexicon(read_lexicon(path)))

    def matches(self, text: str) -> Tuple[List[Tuple[int, int]], List[Tuple[int, int]]]:
        """(crisis spans that no benign span covers, benign spans that cover a crisis
        span), in token offsets. A benign span that covers no crisis match is not
        returned: it says nothing about the message's other words."""
        doc, token_matcher = self.spacy.doc(normalise(text))
        words = [token.lower_ for token in doc]
        found = [(label, start, end)
                 for label, phrases in self.phrases.items()
                 for start, end in phrases.spans(words)]
        found += [(doc.vocab.strings[label], start, end)
                  for label, start, end in token_matcher(doc)]
        # a message that is only crisis words ("suicidal.", "i am suicidal", "self harm")
        if " ".join(token.lower_ for token in doc if not token.is_punct) in self.whole_messages:
            found.append((CRISIS, 0, len(doc)))
        # a watched word typed letter by letter ("s u i c i d e") is a crisis on its own
        spelled = self.spelled_out.intersection(spelled_out_words(text))
        found += [(CRISIS, index, index + 1) for index, word in enumerate(words) if word in spelled]
        benign = sorted({(start, end) for label, start, end in found if label == BENIGN})

        def covering(start: int, end: int) -> List[Tuple[int, int]]:
            return [span for span in benign if span[0] <= start and end <= span[1]]

        crisis_found = sorted({(start, end) for label, start, end in found if label == CRISIS})
        crisis = [span for span in crisis_found if not covering(*span)]
        cancelling = sorted({span for found_span in crisis_found for span in covering(*found_span)})
        return crisis, cancelling

    def spans(self, text: str) -> List[Tuple[int, int]]:
        """Token spans of crisis matches that no benign span covers."""
        return self.matches(text)[0]

    def is_crisis(self, text: str) -> bool:
        """True when the message holds at least one crisis phrase."""
        return bool(self.spans(text))


def read_lexicon(path: Path) -> Dict[str, Any]:
    """Loads the lexicon YAML, with a clear error when it is missing or malformed."""
    try:
        lexicon = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"cannot read crisis lexicon {path}: {error}")
    if not isinstance(lexicon, dict) or not lexicon.get("phrases"):
        raise ValueError(f"crisis lexicon {path} has no phrases")
    words = [*lexicon["phrases"], *(lexicon.get("benign") or []),
             *(lexicon.get("whole_messages") or [])]
    words += [w for forms in (lexicon.get("forms") or {}).values() for w in forms]
    if not all(isinstance(word, str) for word in words):
        raise ValueError(f"crisis lexicon {path}: quote yes/no/on/off, YAML reads them as booleans")
    return lexicon
