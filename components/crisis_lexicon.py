"""The deterministic half of crisis detection: spaCy matching over lexicons/crisis.yml.

The lexicon is data (see the comments at the top of lexicons/crisis.yml for its
format). This module normalises text (components/text_normalisation.py), expands
"{form}" templates into phrases, and matches them with a PhraseMatcher plus a
Matcher for the token patterns, over spaCy's blank English tokenizer (no
downloaded model is needed). A crisis match that lies inside a benign span ("not
suicidal", "40 kms from") is dropped.
"""

import itertools
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple

import spacy
import yaml
from spacy.matcher import Matcher, PhraseMatcher

from components.text_normalisation import normalise

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


class CrisisLexicon:
    """Finds crisis phrases in a message; knows nothing about Rasa."""

    def __init__(self, lexicon: Dict[str, Any]) -> None:
        self.nlp = spacy.blank("en")
        forms = {
            name: [str(value) for value in values]
            for name, values in (lexicon.get("forms") or {}).items()
        }
        self.phrase_matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.token_matcher = Matcher(self.nlp.vocab)
        self._add_phrases(CRISIS, lexicon.get("phrases") or [], forms)
        self._add_phrases(BENIGN, lexicon.get("benign") or [], forms)
        self._add_token_patterns(CRISIS, lexicon.get("token_patterns") or {})
        self._add_token_patterns(BENIGN, lexicon.get("token_benign") or {})

    @classmethod
    def from_file(cls, path: Path) -> "CrisisLexicon":
        """Builds the matcher from a lexicon YAML file."""
        return cls(read_lexicon(path))

    def _add_phrases(self, label: str, templates: Iterable[str], forms) -> None:
        phrases = {
            normalise(phrase)
            for template in templates
            for phrase in expand_template(str(template), forms)
        }
        phrases.discard("")
        self.phrase_matcher.add(label, [self.nlp.make_doc(p) for p in sorted(phrases)])

    def _add_token_patterns(self, label: str, patterns: Dict[str, List[Dict]]) -> None:
        for pattern in patterns.values():
            self.token_matcher.add(label, [_normalise_token_pattern(pattern)])

    def spans(self, text: str) -> List[Tuple[int, int]]:
        """Token spans of crisis matches that no benign span covers."""
        doc = self.nlp.make_doc(normalise(text))
        found = [
            (self.nlp.vocab.strings[label], start, end)
            for label, start, end in itertools.chain(
                self.phrase_matcher(doc), self.token_matcher(doc)
            )
        ]
        benign = [(start, end) for label, start, end in found if label == BENIGN]
        return sorted(
            (start, end)
            for label, start, end in found
            if label == CRISIS
            and not any(b_start <= start and end <= b_end for b_start, b_end in benign)
        )

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
    words = [*lexicon["phrases"], *(lexicon.get("benign") or [])]
    words += [w for forms in (lexicon.get("forms") or {}).values() for w in forms]
    if not all(isinstance(word, str) for word in words):
        raise ValueError(f"crisis lexicon {path}: quote yes/no/on/off, YAML reads them as booleans")
    return lexicon
