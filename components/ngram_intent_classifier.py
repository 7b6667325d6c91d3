"""NgramIntentClassifier: the intent classifier, TF-IDF word and character n-grams.

Messages are normalised as everywhere in the project (components/text_normalisation.py:
case, invisible characters, apostrophes, repeated letters), then described by TF-IDF
weights (sublinear term frequency, each kind of n-gram scaled to unit length) of
word 1-2-grams and of character 2-5-grams inside words, so that typos
("insurence", "sesions") still share most of their features. A linear model trained
by stochastic gradient descent on the log loss, with balanced class weights, gives
one-vs-rest probabilities, normalised to sum to one; FallbackClassifier reads the
top one.

Why not Rasa's own components: Rasa's LogisticRegressionClassifier works on raw
counts, so long messages got extreme confidences (a long, calm question came out as
`crisis` at 1.00), and it took a minute to train; DIET takes minutes and answers
slower. This one trains in seconds. At run time a message's score is the sum of the
weight rows of its few hundred n-grams, computed directly (sklearn's transform costs
milliseconds of checks per message); tests/unit/test_ngram_intent_classifier.py
checks that it equals sklearn's TF-IDF and model.

The model is stored as plain data (vocabularies as JSON, numbers as .npy arrays),
not as pickles, so loading a model cannot run code.
"""

import json
from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Sequence, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import hstack
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

from components.fingerprints import fingerprint
from components.text_normalisation import normalise

VOCABULARIES_FILE = "vocabularies.json"
KINDS = ("word", "char")


def make_vectorizers(config: Dict[Text, Any]) -> Dict[Text, TfidfVectorizer]:
    """The word and character TF-IDF vectorizers the config describes (unfitted)."""
    return {
        "word": TfidfVectorizer(sublinear_tf=True, ngram_range=tuple(config["word_ngrams"]),
                                token_pattern=r"(?u)\b\w+\b"),
        "char": TfidfVectorizer(sublinear_tf=True, analyzer="char_wb",
                                ngram_range=tuple(config["char_ngrams"]),
                                min_df=config["char_min_df"]),
    }


class NgramSpace:
    """Turns a normalised text into (feature indices, TF-IDF values), as sklearn would."""

    def __init__(self, analyzers: Dict[Text, Callable[[Text], List[Text]]],
                 vocabularies: Dict[Text, Dict[Text, int]], idfs: Dict[Text, np.ndarray]) -> None:
        self._parts = []
        offset = 0
        for kind in KINDS:
            self._parts.append((analyzers[kind], vocabularies[kind], idfs[kind], offset))
            offset += len(vocabularies[kind])
        self.size = offset

    def features(self, text: Text) -> Tuple[np.ndarray, np.ndarray]:
        """Indices into the concatenated vocabularies and their TF-IDF values."""
        indices: List[np.ndarray] = []
        values: List[np.ndarray] = []
        for analyzer, vocabulary, idf, offset in self._parts:
            counts = Counter(vocabulary[term] for term in analyzer(text) if term in vocabulary)
            if not counts:
                continue
            index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            weight = (1.0 + np.log(tf)) * idf[index]
            weight /= np.sqrt(np.dot(weight, weight))
            indices.append(index + offset)
            values.append(weight)
        if not indices:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return np.concatenate(indices), np.concatenate(values)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class NgramIntentClassifier(GraphComponent, IntentClassifier):
    """Classifies a message's intent from its word and character n-grams."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Features and training settings (chosen by cross-validation, see the README)."""
        return {
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "char_min_df": 1,
            "alpha": 1e-5,
            "epochs": 50,
            "random_state": 42,
            "ranking_length": 10,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        space: Optional[NgramSpace] = None,
        classes: Sequence[Text] = (),
        weights: Optional[np.ndarray] = None,
        intercept: Optional[np.ndarray] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._space = space
        self._classes = list(classes)
        self._weights = weights  # one row of class weights per feature
        self._intercept = intercept

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """A change to this code (what it stores, how it reads text) retrains it."""
        return fingerprint([__name__, "components.text_normalisation"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "NgramIntentClassifier":
        """An untrained classifier."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the TF-IDF vocabularies and the linear model on the intent examples."""
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        texts = [normalise(e.get(TEXT)) for e in examples]
        labels = [e.get(INTENT) for e in examples]
        vectorizers = make_vectorizers(self._config)
        features = hstack([vectorizers[kind].fit_transform(texts) for kind in KINDS]).tocsr()
        model = SGDClassifier(
            loss="log_loss", alpha=self._config["alpha"], max_iter=self._config["epochs"],
            tol=None, class_weight="balanced", random_state=self._config["random_state"],
        ).fit(features, labels)
        vocabularies = {kind: {term: int(i) for term, i in vectorizers[kind].vocabulary_.items()}
                        for kind in KINDS}
        idfs = {kind: vectorizers[kind].idf_ for kind in KINDS}
        self._space = NgramSpace(self._analyzers(), vocabularies, idfs)
        self._classes = [str(label) for label in model.classes_]
        self._weights = np.ascontiguousarray(model.coef_.T)
        self._intercept = model.intercept_.copy()
        self._persist(vocabularies, idfs)
        return self._resource

    def _analyzers(self) -> Dict[Text, Callable[[Text], List[Text]]]:
        return {kind: vectorizer.build_analyzer()
                for kind, vectorizer in make_vectorizers(self._config).items()}

    def _persist(self, vocabularies: Dict[Text, Dict[Text, int]],
                 idfs: Dict[Text, np.ndarray]) -> None:
        """Writes the vocabularies and the numbers into the model."""
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARIES_FILE).write_text(
                json.dumps({"classes": self._classes, **vocabularies}), encoding="utf-8")
            arrays = {"weights": self._weights.astype(np.float32), "intercept": self._intercept,
                      **{f"{kind}_idf": idfs[kind] for kind in KINDS}}
            for name, array in arrays.items():
                np.save(directory / f"{name}.npy", array, allow_pickle=False)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "NgramIntentClassifier":
        """Rebuilds the classifier from the stored vocabularies and numbers."""
        untrained = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                stored = json.loads((directory / VOCABULARIES_FILE).read_text(encoding="utf-8"))
                arrays = {path.stem: np.load(path, allow_pickle=False)
                          for path in directory.glob("*.npy")}
        except ValueError:  # trained without intent examples
            return untrained
        space = NgramSpace(untrained._analyzers(), {kind: stored[kind] for kind in KINDS},
                           {kind: arrays[f"{kind}_idf"] for kind in KINDS})
        return cls(config, model_storage, resource, space, stored["classes"],
                   arrays["weights"], arrays["intercept"])

    def probabilities(self, text: Text) -> np.ndarray:
        """The probability of each intent (in the order of the stored classes)."""
        indices, values = self._space.features(normalise(text))
        scores = values @ self._weights[indices] + self._intercept
        probabilities = expit(scores)
        return probabilities / max(float(probabilities.sum()), 1e-12)

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets each message's intent and its ranking of intents."""
        if self._weights is None:
            return messages
        for message in messages:
            row = self.probabilities(message.get(TEXT) or "")
            order = np.argsort(-row)[: self._config["ranking_length"] or len(row)]
            ranking = [{INTENT_NAME_KEY: self._classes[i], "confidence": float(row[i])}
                       for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
