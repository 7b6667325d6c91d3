"""The speed fixes to Rasa (components/rasa_speedups.py) change nothing Rasa decides:
the action server's answers are accepted or refused as before, and stored events
come back as the same classes, unknown ones refused as before."""

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from components import rasa_speedups

rasa_speedups.install()

VALID_ANSWERS = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "age", "value": 45}],
     "responses": [{"response": "utter_ask_age"}]},
    {"events": [{"event": "active_loop", "name": None}], "responses": [{"text": "hi"}]},
]
INVALID_ANSWERS = [
    {"events": 3},
    {"events": [{"event": "slot", "name": 7}]},
    {"events": [{"no_event_key": True}]},
    {"responses": "not a list"},
]


def rasa_accepts(answer):
    """What Rasa's own check (jsonschema.validate) says about an answer."""
    from jsonschema import validate

    try:
        validate(answer, RemoteAction.action_response_format_spec())
        return True
    except ValidationError:
        return False


@pytest.mark.parametrize("answer", VALID_ANSWERS + INVALID_ANSWERS)
def test_action_server_answers_are_judged_as_rasa_judges_them(answer):
    action = RemoteAction.__new__(RemoteAction)
    if rasa_accepts(answer):
        assert action._validate_action_result(answer) is True
    else:
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(answer)


def test_every_event_type_resolves_to_the_class_rasa_would_find():
    for event_class in all_subclasses(Event):
        name = event_class.type_name
        expected = next(c for c in all_subclasses(Event) if c.type_name == name)
        assert Event.resolve_by_type(name) is expected
        assert Event.resolve_by_type(name) is expected  # the remembered answer too


def test_unknown_event_types_are_still_refused_or_defaulted():
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    assert Event.resolve_by_type("topic") is None


def random_state(rng, conversation_start=False):
    """A dialogue state like RulePolicy's: user intent, previous action, loop, slots."""
    state = {}
    if not conversation_start:
        state["prev_action"] = {"action_name": rng.choice(["action_listen", "utter_a", "form"])}
    if rng.random() < 0.7:
        state["user"] = {"intent": rng.choice(["greet", "affirm", "crisis", "ask_cost"])}
    if rng.random() < 0.3:
        state["active_loop"] = {"name": rng.choice(["form", "should_not_be_set"])}
    if rng.random() < 0.3:
        state["slots"] = {"flag": (rng.choice([0.0, 1.0]),)}
    return state


def test_rules_match_as_rasa_matches_them():
    """The early stop finds the same rules as Rasa's full walk, on random conversations."""
    import json
    import random

    from rasa.core.policies.rule_policy import RulePolicy

    rng = random.Random(7)
    policy = RulePolicy.__new__(RulePolicy)
    for _ in range(300):
        lookup = {}
        for _ in range(rng.randint(0, 25)):
            length = rng.randint(1, 4)
            rule = [random_state(rng, conversation_start=(i == 0 and rng.random() < 0.2))
                    for i in range(length)]
            lookup[json.dumps(rule, sort_keys=True)] = "some_action"
        states = [random_state(rng, conversation_start=(i == 0)) for i in range(rng.randint(0, 30))]
        expected = rasa_speedups._rasa_get_possible_keys(policy, lookup, states)
        assert RulePolicy._get_possible_keys(policy, lookup, states) == expected


def read_training_data(paths):
    """The project's NLU files merged one by one, as Rasa's importer merges them."""
    from functools import reduce

    from rasa.shared.nlu.training_data.loading import load_data

    return reduce(lambda merged, data: merged.merge(data), [load_data(str(p)) for p in paths])


def test_merged_training_data_is_the_same_as_with_rasas_own_message_set(monkeypatch):
    """Training learns from exactly the examples, in the order, that Rasa would give it."""
    from pathlib import Path

    from rasa.shared.nlu.training_data.message import Message

    paths = sorted((Path(__file__).resolve().parents[2] / "data" / "nlu").glob("*.yml"))
    fixed = read_training_data(paths)
    monkeypatch.setattr(Message, "set", rasa_speedups._rasa_message_set)
    rasas = read_training_data(paths)

    assert [(m.get("text"), m.get("intent")) for m in fixed.training_examples] == [
        (m.get("text"), m.get("intent")) for m in rasas.training_examples]
    assert fixed.fingerprint() == rasas.fingerprint()


def test_a_changed_property_still_changes_the_fingerprint():
    """Only an unchanged text keeps the fingerprint; a new intent, or new features, do not."""
    from rasa.shared.nlu.training_data.message import Message

    message = Message.build(text="how does tms work", intent="ask_how_tms_works")
    before = message.fingerprint()
    message.set("intent", "ask_how_tms_works")
    assert message.fingerprint() == before
    message.set("intent", "ask_cost")
    assert message.fingerprint() != before
    assert message.fingerprint() == Message.build(text="how does tms work", intent="ask_cost").fingerprint()
