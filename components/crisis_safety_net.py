"""CrisisSafetyNet: the NLU pipeline's last step, so no crisis message is ever missed.

Two detectors, either one is enough (content/crisis.md):
- the crisis lexicon (components/crisis_lexicon.py), deterministic, on every message;
- the trained classifier, when its top intent is `crisis` with at least
  `classifier_threshold` confidence; this counts even when FallbackClassifier
  replaced it with nlu_fallback for low confidence.
When either fires, the message's intent becomes `crisis` with confidence 1.0, and
the parse result says which detector fired (never the text) under `crisis_detection`.

The lexicon is read from its YAML file at training time and stored in the model,
so a trained model is self-contained; its content is part of the fingerprint, so
editing the lexicon retrains this component.
"""

import hashlib
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

from components.crisis_lexicon import CrisisLexicon, read_lexicon

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
        self._lexicon_data = lexicon
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
        """Makes a change to the lexicon file invalidate the cached trained component."""
        path = Path(config.get("lexicon", cls.get_default_config()["lexicon"]))
        if not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()

    def train(self, training_data: TrainingData) -> Resource:
        """Reads, checks and stores the lexicon in the model."""
        lexicon = read_lexicon(Path(self._config["lexicon"]))
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

    def _mark_crisis(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        by_lexicon = bool(self._lexicon and text and self._lexicon.is_crisis(text))
        confidence = self._classifier_crisis_confidence(message)
        by_classifier = confidence > 0 and confidence >= self._config["classifier_threshold"]
        message.set(
            DETECTION_KEY,
            {
                "lexicon": by_lexicon,
                "classifier": by_classifier,
                "classifier_confidence": round(confidence, 4),
            },
            add_to_output=True,
        )
        if not (by_lexicon or by_classifier):
            return
        crisis = {INTENT_NAME_KEY: self._crisis_intent, "confidence": 1.0}
        ranking = [
            entry
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get(INTENT_NAME_KEY) not in (self._crisis_intent, FALLBACK_INTENT)
        ]
        message.set(INTENT, crisis, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [crisis] + ranking, add_to_output=True)
