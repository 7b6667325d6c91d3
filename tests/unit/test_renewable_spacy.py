"""spaCy's vocabulary stays bounded however many new words strangers type, and the
crisis lexicon and the medication count still read messages right after a renewal."""

import uuid

from spacy.matcher import PhraseMatcher

from actions.medications import MedicationMatcher
from components.crisis_lexicon import CrisisLexicon
from components.renewable_spacy import RenewableSpacy
from tests.unit.test_crisis_lexicon import LEXICON_FILE


def random_words(count):
    return " ".join(uuid.uuid4().hex[:10] for _ in range(count))


def test_the_vocabulary_is_renewed_before_it_grows_without_bound():
    def matcher(nlp):
        phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        phrases.add("greeting", [nlp.make_doc("good morning")])
        return phrases

    pipeline = RenewableSpacy(matcher, max_new_words=1000)
    sizes = []
    for _ in range(60):
        pipeline.doc(random_words(100))
        sizes.append(len(pipeline.nlp.vocab.strings))
    assert pipeline.renewals >= 5
    assert max(sizes) <= sizes[0] + 1000 + 100 + 10
    doc, phrases = pipeline.doc("well good morning to you")
    assert [doc[start:end].text for _, start, end in phrases(doc)] == ["good morning"]


def test_the_crisis_lexicon_reads_right_after_renewals():
    lexicon = CrisisLexicon.from_file(LEXICON_FILE)
    lexicon.spacy.max_new_words = 500
    for _ in range(20):
        assert not lexicon.is_crisis(random_words(60))
    assert lexicon.spacy.renewals >= 2
    assert lexicon.is_crisis("i want to kill myself")
    assert lexicon.is_crisis("i have 40 pills saved up")  # a token pattern (a number)
    assert not lexicon.is_crisis("this wait is killing me")


def test_the_medication_count_reads_right_after_renewals():
    medications = MedicationMatcher()
    medications.spacy.max_new_words = 300
    for _ in range(20):
        medications.generic_names(random_words(40))
    assert medications.spacy.renewals >= 2
    assert medications.generic_names("Zoloft and Lexapro") == {"sertraline", "escitalopram"}
