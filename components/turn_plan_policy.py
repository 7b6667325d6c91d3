"""A policy base for turns whose actions are fixed in advance, whatever else applies.

A subclass says, for the current turn, which actions must run in which order
(turn_plan); this base predicts the next one with certainty while the actions run
so far match the start of the plan, and abstains otherwise. With a priority above
RulePolicy's, such a plan outranks forms and rules.

Rasa's ensemble only compares a form's "happy path" (which RulePolicy marks as a
prediction that does not depend on the user's message) with predictions marked
the same way, and ignores all others. A plan's prediction is therefore marked so
too: otherwise an active form would always run first, and a crisis message sent
while the action server is down would get no reply at all.
"""

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_EXTRACT_SLOTS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker


def actions_since_last_user_message(tracker: DialogueStateTracker) -> List[Text]:
    """Names of the actions run after the latest user message (slot extraction aside)."""
    names: List[Text] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_EXTRACT_SLOTS:
            names.append(event.action_name)
    return list(reversed(names))


class TurnPlanPolicy(Policy):
    """Plays a fixed plan of actions for the turns a subclass recognises."""

    responses_config_keys: tuple = ()

    def turn_plan(self, tracker: DialogueStateTracker) -> List[Text]:
        """The actions of this turn, from the user message to action_listen, or []."""
        raise NotImplementedError

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Checks that the domain has the plan's responses; nothing is learnt."""
        missing = [
            self.config[key]
            for key in self.responses_config_keys
            if self.config[key] not in domain.action_names_or_texts
        ]
        if missing:
            raise ValueError(f"{type(self).__name__}: the domain lacks {missing}")
        with self._model_storage.write_to(self._resource):
            pass
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Predicts the plan's next action with certainty, or abstains."""
        probabilities = self._default_predictions(domain)
        plan = self.turn_plan(tracker)
        done = actions_since_last_user_message(tracker)
        if not (plan and done == plan[: len(done)] and len(done) < len(plan)):
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(plan[len(done)])] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)
