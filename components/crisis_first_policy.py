"""CrisisFirstPolicy: after a crisis message, the crisis reply comes before anything else.

Rasa lets an active form run before any rule, and a form calls the action server to
validate; with the action server down, a crisis message in the middle of the
checklist would get no reply at all. This policy outranks every other one (its
priority is above RulePolicy's) and, for the turn that follows a message with the
intent `crisis`, predicts a fixed, static sequence:

    [action_deactivate_loop]    only if a form (the checklist) was active
    utter_crisis_resources      988, 911 and the Crisis Text Line: always the first message
    utter_crisis_support        kind words, the assistant stays available
    [utter_crisis_checklist_paused]   only if the checklist was paused: offers to go on
    action_listen

Every step is a domain response or a built-in action, so the action server is
never needed. On any other turn the policy abstains.
"""

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import (
    ACTION_DEACTIVATE_LOOP_NAME,
    ACTION_EXTRACT_SLOTS,
    ACTION_LISTEN_NAME,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=True
)
class CrisisFirstPolicy(Policy):
    """Predicts the crisis hand-off, ahead of forms and rules, on every crisis turn."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Priority above RulePolicy (6) and the actions of the crisis turn."""
        return {
            "priority": 7,
            "crisis_intent": "crisis",
            "resources_response": "utter_crisis_resources",
            "support_response": "utter_crisis_support",
            "checklist_paused_response": "utter_crisis_checklist_paused",
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Optional[Any] = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(
        self,
        training_trackers: List[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Checks that the domain has the crisis responses; nothing is learnt."""
        missing = [
            self.config[key]
            for key in ("resources_response", "support_response", "checklist_paused_response")
            if self.config[key] not in domain.action_names_or_texts
        ]
        if missing:
            raise ValueError(f"CrisisFirstPolicy: the domain lacks {missing}")
        with self._model_storage.write_to(self._resource):
            pass
        return self._resource

    def crisis_turn_plan(self, tracker: DialogueStateTracker) -> List[Text]:
        """The actions of the current turn if its user message was a crisis, else []."""
        if tracker.latest_message is None:
            return []
        if tracker.latest_message.intent.get("name") != self.config["crisis_intent"]:
            return []
        done = actions_since_last_user_message(tracker)
        paused = ACTION_DEACTIVATE_LOOP_NAME in done or tracker.active_loop_name is not None
        return (
            ([ACTION_DEACTIVATE_LOOP_NAME] if paused else [])
            + [self.config["resources_response"], self.config["support_response"]]
            + ([self.config["checklist_paused_response"]] if paused else [])
            + [ACTION_LISTEN_NAME]
        )

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Predicts the next crisis action with certainty, or abstains."""
        probabilities = self._default_predictions(domain)
        plan = self.crisis_turn_plan(tracker)
        done = actions_since_last_user_message(tracker)
        if plan and done == plan[: len(done)] and len(done) < len(plan):
            probabilities[domain.index_for_action(plan[len(done)])] = 1.0
        return self._prediction(probabilities)


def actions_since_last_user_message(tracker: DialogueStateTracker) -> List[Text]:
    """Names of the actions run after the latest user message (slot extraction aside)."""
    names: List[Text] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_EXTRACT_SLOTS:
            names.append(event.action_name)
    return list(reversed(names))
