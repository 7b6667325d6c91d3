"""ActionFailurePolicy: when the action server is unreachable, the person hears why.

A failed action-server call leaves the action recorded with no events after it;
the policy then pauses the checklist and says it is briefly unavailable, instead of
the silence Rasa would give.
"""

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.action_failure_policy import ActionFailurePolicy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain"))


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return ActionFailurePolicy.create(
        ActionFailurePolicy.get_default_config(),
        LocalModelStorage(tmp_path_factory.mktemp("model_storage")),
        Resource("action_failure_policy"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def next_action(policy, domain, events):
    tracker = DialogueStateTracker.from_events("test-user", events, domain.slots)
    probabilities = policy.predict_action_probabilities(tracker, domain).probabilities
    if not any(probabilities):
        return None
    return domain.action_names_or_texts[int(np.argmax(probabilities))]


def user_says(text, intent):
    return [ActionExecuted("action_listen"), UserUttered(text, intent={"name": intent}),
            ActionExecuted("action_extract_slots")]


RUNNING_CHECKLIST = user_says("am I a candidate", "start_checklist") + [
    ActionExecuted("utter_checklist_intro"), BotUttered("Let's see"),
    ActionExecuted("candidacy_form"), ActiveLoop("candidacy_form"),
    SlotSet("requested_slot", "diagnosed_depression"), BotUttered("Diagnosed?"),
]


def test_a_failed_answer_check_pauses_the_checklist_and_apologises(policy, domain):
    events = RUNNING_CHECKLIST + user_says("yes", "affirm") + [ActionExecuted("candidacy_form")]
    assert next_action(policy, domain, events) == "action_deactivate_loop"
    events += [ActionExecuted("action_deactivate_loop"), ActiveLoop(None)]
    assert next_action(policy, domain, events) == "utter_checklist_unavailable"
    events += [ActionExecuted("utter_checklist_unavailable"), BotUttered("Sorry")]
    assert next_action(policy, domain, events) == "action_listen"


def test_starting_the_checklist_while_the_action_server_is_down(policy, domain):
    events = user_says("am I a candidate", "start_checklist") + [
        ActionExecuted("utter_checklist_intro"), BotUttered("Let's see"),
        ActionExecuted("candidacy_form"),
    ]
    assert next_action(policy, domain, events) == "utter_checklist_unavailable"


def test_a_failed_outcome_is_explained(policy, domain):
    events = RUNNING_CHECKLIST + user_says("45", "inform") + [
        ActionExecuted("candidacy_form"), SlotSet("age", 45), ActiveLoop(None),
        SlotSet("requested_slot", None), ActionExecuted("action_checklist_outcome"),
    ]
    assert next_action(policy, domain, events) == "utter_checklist_unavailable"


def test_it_stays_silent_when_the_action_server_answers(policy, domain):
    events = RUNNING_CHECKLIST + user_says("yes", "affirm") + [
        ActionExecuted("candidacy_form"), SlotSet("diagnosed_depression", "yes"),
        SlotSet("requested_slot", "antidepressant_count"), BotUttered("How many?"),
    ]
    assert next_action(policy, domain, events) is None
    assert next_action(policy, domain, RUNNING_CHECKLIST) is None


def test_a_failure_in_an_earlier_turn_is_not_repeated(policy, domain):
    events = RUNNING_CHECKLIST + user_says("yes", "affirm") + [
        ActionExecuted("candidacy_form"), ActionExecuted("action_deactivate_loop"),
        ActiveLoop(None), ActionExecuted("utter_checklist_unavailable"), BotUttered("Sorry"),
        ActionExecuted("action_listen"),
    ] + user_says("what does it cost", "ask_cost")
    assert next_action(policy, domain, events) is None
