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

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_DEACTIVATE_LOOP_NAME, ACTION_LISTEN_NAME
from rasa.shared.core.trackers import DialogueStateTracker

from components.turn_plan_policy import TurnPlanPolicy, actions_since_last_user_message


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=True
)
class CrisisFirstPolicy(TurnPlanPolicy):
    """Predicts the crisis hand-off, ahead of forms and rules, on every crisis turn."""

    responses_config_keys = (
        "resources_response", "support_response", "checklist_paused_response"
    )

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

    def turn_plan(self, tracker: DialogueStateTracker) -> List[Text]:
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
