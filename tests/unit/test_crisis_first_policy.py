"""CrisisFirstPolicy: on a crisis turn, the crisis reply comes first, even mid-checklist.

The policy is asked for the next action step by step, with the real domain and
trackers built from events, as Rasa asks it during a conversation.
"""

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.crisis_first_policy import CrisisFirstPolicy

ROOT = Path(__file__).resolve().parents[2]
CRISIS = {"name": "crisis", "confidence": 1.0}


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain"))


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return CrisisFirstPolicy.create(
        CrisisFirstPolicy.get_default_config(),
        LocalModelStorage(tmp_path_factory.mktemp("model_storage")),
        Resource("crisis_first_policy"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def next_action(policy, domain, events):
    """The action the policy predicts after these events, or None if it abstains."""
    tracker = DialogueStateTracker.from_events("test-user", events, domain.slots)
    probabilities = policy.predict_action_probabilities(tracker, domain).probabilities
    if not any(probabilities):
        return None
    return domain.action_names_or_texts[int(np.argmax(probabilities))]


def user_says(text, intent):
    return [
        ActionExecuted("action_listen"),
        UserUttered(text, intent=intent),
        ActionExecuted("action_extract_slots"),
    ]


def checklist_in_progress():
    """A conversation in which the checklist is asking its first question."""
    return user_says("can I check if I qualify", {"name": "start_checklist", "confidence": 0.9}) + [
        ActionExecuted("candidacy_form"),
        ActiveLoop("candidacy_form"),
        SlotSet("requested_slot", "diagnosed_depression"),
    ]


def test_crisis_outside_the_checklist(policy, domain):
    events = user_says("I want to die", CRISIS)
    for expected in ["utter_crisis_resources", "utter_crisis_support", "action_listen"]:
        assert next_action(policy, domain, events) == expected
        events.append(ActionExecuted(expected))


def test_crisis_inside_the_checklist_pauses_it_first(policy, domain):
    events = checklist_in_progress() + user_says("I don't want to be here anymore", CRISIS)
    expected_steps = [
        "action_deactivate_loop",
        "utter_crisis_resources",
        "utter_crisis_support",
        "utter_crisis_checklist_paused",
        "action_listen",
    ]
    for expected in expected_steps:
        assert next_action(policy, domain, events) == expected
        events.append(ActionExecuted(expected))
        if expected == "action_deactivate_loop":
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]


def test_no_prediction_for_an_ordinary_message(policy, domain):
    events = user_says("how much does TMS cost", {"name": "ask_cost", "confidence": 0.95})
    assert next_action(policy, domain, events) is None


def test_no_prediction_for_a_checklist_answer(policy, domain):
    events = checklist_in_progress() + user_says("yes", {"name": "affirm", "confidence": 0.95})
    assert next_action(policy, domain, events) is None


def test_a_new_ordinary_message_after_a_crisis_gets_no_crisis_reply(policy, domain):
    events = user_says("I want to die", CRISIS) + [
        ActionExecuted("utter_crisis_resources"),
        ActionExecuted("utter_crisis_support"),
    ] + user_says("how much does it cost", {"name": "ask_cost", "confidence": 0.9})
    assert next_action(policy, domain, events) is None
