"""ActionFailurePolicy: when the action server cannot be reached, say so kindly.

The checklist needs the action server (its form validates through it). When that
call fails, Rasa logs the error, records the action with no events at all and
waits for the next message: the person gets silence. A successful run of these
actions always records something after them (a question asked, a slot set, an
outcome), so "the action is the last event" means it failed. This policy then
plays, ahead of rules and forms:

    [action_deactivate_loop]       if the checklist was running (answers are kept)
    utter_checklist_unavailable    "briefly unavailable", with the clinic's phone
    action_listen

Nothing needs restarting: once the action server is back, "continue the
checklist" starts the form again where it stopped.
"""

from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_DEACTIVATE_LOOP_NAME, ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.turn_plan_policy import TurnPlanPolicy, actions_since_last_user_message


def failed_action_this_turn(tracker: DialogueStateTracker, watched: List[Text]) -> Optional[Text]:
    """The watched action that ran this turn and recorded no events, if any."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, UserUttered):
            return None
        if isinstance(event, ActionExecuted) and event.action_name in watched:
            following = events[index + 1] if index + 1 < len(events) else None
            if following is None or isinstance(following, ActionExecuted):
                return event.action_name
    return None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=True
)
class ActionFailurePolicy(TurnPlanPolicy):
    """Pauses the checklist and apologises when an action-server call failed."""

    responses_config_keys = ("unavailable_response",)

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Priority above RulePolicy (6); the actions that need the action server."""
        return {
            "priority": 7,
            "watched_actions": [
                "candidacy_form", "action_checklist_outcome", "action_reset_checklist"
            ],
            "unavailable_response": "utter_checklist_unavailable",
        }

    def turn_plan(self, tracker: DialogueStateTracker) -> List[Text]:
        """The apology turn after a failed action-server call, else []."""
        failed = failed_action_this_turn(tracker, self.config["watched_actions"])
        if failed is None:
            return []
        done = actions_since_last_user_message(tracker)
        before = done[: len(done) - done[::-1].index(failed)]
        after = done[len(before):]
        was_running = ACTION_DEACTIVATE_LOOP_NAME in after or tracker.active_loop_name
        return before + (
            ([ACTION_DEACTIVATE_LOOP_NAME] if was_running else [])
            + [self.config["unavailable_response"], ACTION_LISTEN_NAME]
        )
