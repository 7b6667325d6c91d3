"""A blank English spaCy pipeline with its matchers, renewed before its vocabulary
grows without bound.

spaCy adds every new word it tokenizes to its vocabulary and never forgets it (about
700 bytes a word, measured here): a server that reads what strangers type would grow
for ever, and a stream of random words would grow it quickly (5,000 characters of
them add about 0.7 MB). RenewableSpacy builds the pipeline and the matchers bound to
its vocabulary with a function of the caller, and builds them again, in a fraction
of a second, once `max_new_words` words beyond those of the build have been seen.
"""

from typing import Callable, Generic, Tuple, TypeVar

import spacy
from spacy.language import Language
from spacy.tokens import Doc

T = TypeVar("T")
MAX_NEW_WORDS = 50_000


class RenewableSpacy(Generic[T]):
    """spaCy's blank English tokenizer and matchers built by `build(nlp)`."""

    def __init__(self, build: Callable[[Language], T], max_new_words: int = MAX_NEW_WORDS) -> None:
        self._build = build
        self.max_new_words = max_new_words
        self.renewals = 0
        self._renew()

    def _renew(self) -> None:
        self.nlp = spacy.blank("en")
        self.matchers = self._build(self.nlp)
        self._words_at_build = len(self.nlp.vocab.strings)

    def doc(self, text: str) -> Tuple[Doc, T]:
        """The tokenized text and the matchers that go with its vocabulary."""
        if len(self.nlp.vocab.strings) - self._words_at_build > self.max_new_words:
            self._renew()
            self.renewals += 1
        return self.nlp.make_doc(text), self.matchers
