"""CrisisSafetyNet: the NLU pipeline's last step, so no crisis message is ever missed.

Two detectors, either one is enough (content/crisis.md):
- the crisis lexicon (components/crisis_lexicon.py), deterministic, on every message,
  whatever the classifier or FallbackClassifier decided;
- the trained classifier, when its own top intent (read from its ranking, so
  FallbackClassifier cannot hide it) is `crisis` with at least `classifier_threshold`
  confidence (0 by default: any), unless a benign phrase of the lexicon cancelled a
  crisis phrase in the message, i.e. the words that look like a crisis are used in
  an ordinary way ("i won't be here next week, i'm traveling"); then the classifier's
  next intent is taken instead, or nlu_fallback. An ordinary phrase that cancels no
  crisis phrase ("hanging in there", "ttyl") says nothing about the rest of the
  message and never silences the classifier: "I'm barely hanging in there, I don't
  think I can keep going" is a crisis the lexicon does not know.
When either fires, the message's intent becomes `crisis` with confidence 1.0, and
the parse result says which detector fired (never the text) under `crisis_detection`.

Why any confidence counts: on fresh messages the lexicon alone caught 87% of crisis
messages and the classifier's confident votes (0.9 and up) only half; its unsure
crisis votes caught nearly all the rest, at the price of many false alarms on
ordinary messages full of risky words. A missed crisis is the worst failure this
assistant can have, so recall wins (content/crisis.md; README, "Accuracy").

The lexicon is read from its YAML file at training time, compiled (templates
expanded, phrases normalised and tokenized: seconds of work for about 100,000
phrases) and stored in the model, so a trained model is self-contained and a server
starts without redoing that work; the file's content is part of the fingerprint,
so editing the lexicon retrains this component.
"""

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.crisis_lexicon import CrisisLexicon, compile_lexicon, read_lexicon
from components.fingerprints import fingerprint

FALLBACK_INTENT = "nlu_fallback"
LEXICON_FILE = "crisis_lexicon.json"
DETECTION_KEY = "crisis_detection"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class CrisisSafetyNet(GraphComponent):
    """Overrides the intent with `crisis` when the lexicon or the classifier says so."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Where the lexicon lives and which intent means crisis."""
        return {
            "lexicon": "lexicons/crisis.yml",
            "crisis_intent": "crisis",
            "classifier_threshold": 0.0,
            # FallbackClassifier's threshold: the floor for the intent that replaces a
            # crisis vote the lexicon recognised as an ordinary use of the words.
            "fallback_threshold": 0.3,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        lexicon: Optional[Dict[Text, Any]] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._crisis_intent = config["crisis_intent"]
        self._lexicon = CrisisLexicon(lexicon) if lexicon else None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "CrisisSafetyNet":
        """Creates the untrained component; train() reads the lexicon."""
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """A change to the lexicon file, or to the code that compiles it, retrains."""
        path = Path(config.get("lexicon", cls.get_default_config()["lexicon"]))
        return fingerprint(
            [__name__, "components.crisis_lexicon", "components.text_normalisation"], [path]
        )

    def train(self, training_data: TrainingData) -> Resource:
        """Reads, checks and stores the lexicon in the model."""
        lexicon = compile_lexicon(read_lexicon(Path(self._config["lexicon"])))
        CrisisLexicon(lexicon)  # fails training, not serving, if a pattern is invalid
        with self._model_storage.write_to(self._resource) as directory:
            (directory / LEXICON_FILE).write_text(json.dumps(lexicon), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "CrisisSafetyNet":
        """Loads the lexicon stored in the model."""
        with model_storage.read_from(resource) as directory:
            lexicon = json.loads((directory / LEXICON_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, lexicon)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to training data."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Marks every crisis message as intent `crisis`."""
        for message in messages:
            self._mark_crisis(message)
        return messages

    def _classifier_crisis_confidence(self, message: Message) -> float:
        """The classifier's confidence in `crisis` if it ranked it first, else 0."""
        ranking = message.get(INTENT_RANKING_KEY) or []
        classified = next(
            (entry for entry in ranking if entry.get(INTENT_NAME_KEY) != FALLBACK_INTENT),
            None,
        )
        if classified is None:
            classified = message.get(INTENT) or {}
        if classified.get(INTENT_NAME_KEY) != self._crisis_intent:
            return 0.0
        return float(classified.get("confidence") or 0.0)

    def _replace_classifier_crisis_vote(self, message: Message) -> None:
        """The classifier's best other intent (or nlu_fallback) instead of `crisis`."""
        ranking = [
            entry
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get(INTENT_NAME_KEY) not in (self._crisis_intent, FALLBACK_INTENT)
        ]
        floor = self._config["fallback_threshold"]
        if ranking and float(ranking[0].get("confidence") or 0.0) >= floor:
            intent = dict(ranking[0])
        else:
            intent = {INTENT_NAME_KEY: FALLBACK_INTENT, "confidence": floor}
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    def _mark_crisis(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        crisis_spans, cancelling_spans = (
            self._lexicon.matches(text) if self._lexicon and text else ([], [])
        )
        confidence = self._classifier_crisis_confidence(message)
        by_lexicon = bool(crisis_spans)
        # The lexicon knows ordinary uses of crisis words ("i won't be here next week,
        # i'm traveling", "i burned myself on the stove"); the classifier, which sees
        # only words, does not, so its vote does not count where such a use cancelled
        # the crisis words.
        by_classifier = (
            confidence > 0
            and confidence >= self._config["classifier_threshold"]
            and not cancelling_spans
        )
        message.set(
            DETECTION_KEY,
            {
                "lexicon": by_lexicon,
                "classifier": by_classifier,
                "classifier_confidence": round(confidence, 4),
                "benign_context": bool(cancelling_spans),
            },
            add_to_output=True,
        )
        if not (by_lexicon or by_classifier):
            if confidence > 0:  # a crisis vote that does not count must not stand either
                self._replace_classifier_crisis_vote(message)
            return
        crisis = {INTENT_NAME_KEY: self._crisis_intent, "confidence": 1.0}
        ranking = [
            entry
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get(INTENT_NAME_KEY) not in (self._crisis_intent, FALLBACK_INTENT)
        ]
        message.set(INTENT, crisis, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [crisis] + ranking, add_to_output=True)
