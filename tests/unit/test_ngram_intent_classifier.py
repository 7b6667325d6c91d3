"""The intent classifier (components/ngram_intent_classifier.py), trained on data/nlu.

It must read typos and casual wording, keep long calm questions out of `crisis`, and,
after being stored in a model and loaded back, give exactly what sklearn's TF-IDF
and linear model give (its fast scoring path re-implements sklearn's transform).
"""

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import hstack
from scipy.special import expit

from components.ngram_intent_classifier import KINDS, NgramIntentClassifier
from components.text_normalisation import normalise

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def training_data():
    return RasaFileImporter(training_data_paths=[str(ROOT / "data" / "nlu")]).get_nlu_data()


@pytest.fixture(scope="module")
def trained(tmp_path_factory, training_data):
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    resource = Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    config = NgramIntentClassifier.get_default_config()
    classifier = NgramIntentClassifier.create(config, storage, resource, context)
    classifier.train(training_data)
    loaded = NgramIntentClassifier.load(config, storage, resource, context)
    return classifier, loaded


def classify(classifier, text):
    message = Message({TEXT: text})
    classifier.process([message])
    return message.get(INTENT)["name"], message.get(INTENT)["confidence"]


@pytest.mark.parametrize("text, intent", [
    ("does insurence cover tms", "ask_insurance"),
    ("how many sesions do i need", "ask_treatment_course"),
    ("is this like electroshock??", "ask_tms_vs_ect"),
    ("my mom asked if it hurts", "ask_side_effects"),
    ("CAN I DRIVE HOME AFTER", "ask_daily_life"),
    ("yep", "affirm"),
    ("nah", "deny"),
    ("zoloft and lexapro", "inform"),
])
def test_typos_and_casual_wording_are_understood(trained, text, intent):
    assert classify(trained[1], text)[0] == intent


def test_a_long_calm_question_is_not_taken_for_a_crisis(trained):
    text = ("ok so my psychiatrist brought up TMS last week and I just nodded along but "
            "honestly I have no clue how it works, like what is physically happening "
            "inside my brain while it's on")
    intent, _ = classify(trained[1], text)
    assert intent == "ask_how_tms_works"


def test_the_ranking_is_sorted_and_its_confidences_sum_to_at_most_one(trained):
    message = Message({TEXT: "how much does it cost"})
    trained[1].process([message])
    confidences = [entry["confidence"] for entry in message.get(INTENT_RANKING_KEY)]
    assert confidences == sorted(confidences, reverse=True)
    assert len(confidences) == 10 and sum(confidences) <= 1.0 + 1e-9


@pytest.mark.parametrize("text", ["", "   ", "\U0001F600", "$" * 5000])
def test_empty_or_odd_text_still_gets_an_intent(trained, text):
    intent, confidence = classify(trained[1], text)
    assert intent and 0.0 <= confidence <= 1.0


def test_the_stored_model_answers_exactly_like_sklearn(trained, training_data):
    """The fast path, after a save and a load, equals sklearn's transform and model."""
    from sklearn.linear_model import SGDClassifier

    from components.ngram_intent_classifier import make_vectorizers

    trained_classifier, loaded = trained
    config = NgramIntentClassifier.get_default_config()
    examples = [e for e in training_data.intent_examples if e.get(INTENT)]
    texts = [normalise(e.get(TEXT)) for e in examples]
    vectorizers = make_vectorizers(config)
    features = hstack([vectorizers[kind].fit_transform(texts) for kind in KINDS]).tocsr()
    model = SGDClassifier(loss="log_loss", alpha=config["alpha"], max_iter=config["epochs"],
                          tol=None, class_weight="balanced",
                          random_state=config["random_state"]).fit(
        features, [e.get(INTENT) for e in examples])
    probes = ["how does tms work", "insurence?", "i want to book", "asdfgh", "no metal"]
    probe_features = hstack([vectorizers[kind].transform([normalise(p) for p in probes])
                             for kind in KINDS])
    expected = expit(model.decision_function(probe_features))
    expected /= expected.sum(axis=1, keepdims=True)
    for row, probe in zip(expected, probes):
        np.testing.assert_allclose(trained_classifier.probabilities(probe), row, atol=1e-9)
        np.testing.assert_allclose(loaded.probabilities(probe), row, atol=1e-5)  # float32
