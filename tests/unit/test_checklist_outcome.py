"""What the candidacy checklist concludes, why, and what the person is told.

decide_outcome() is checked for every outcome and for which outcome wins when
several apply; ActionChecklistOutcome is run as the action server would run it,
and the messages it sends and the events it returns are checked.
"""

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.checklist_outcome import (
    DOCTOR_REVIEW,
    GOOD_CANDIDATE,
    NOT_SUITABLE,
    NOT_YET,
    ActionChecklistOutcome,
    decide_outcome,
)

ROOT = Path(__file__).resolve().parents[2]
FORM_SLOTS = yaml.safe_load((ROOT / "domain" / "checklist.yml").read_text())["forms"][
    "candidacy_form"
]["required_slots"]


def answers(**changes):
    """A complete set of answers of an adult with no risk factors, with changes."""
    base = {
        "diagnosed_depression": "yes",
        "antidepressant_count": 2,
        "medication_side_effects": "no",
        "tried_psychotherapy": "yes",
        "metal_in_head": "no",
        "heart_device": "no",
        "seizure_history": "no",
        "bipolar_disorder": "no",
        "pregnant": "no",
        "age": 45,
    }
    base.update(changes)
    return base


def test_good_candidate_because_of_medication_trials():
    outcome = decide_outcome(answers())
    assert outcome.category == GOOD_CANDIDATE
    assert outcome.reasons == ("medication_trials",)


def test_good_candidate_lists_every_reason_in_favour():
    outcome = decide_outcome(
        answers(medication_side_effects="yes", tried_psychotherapy="no")
    )
    assert outcome.category == GOOD_CANDIDATE
    assert outcome.reasons == ("medication_trials", "side_effects", "no_therapy_yet")


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"seizure_history": "yes"}, "seizure_history"),
        ({"heart_device": "yes"}, "heart_device"),
        ({"bipolar_disorder": "yes"}, "bipolar_disorder"),
        ({"pregnant": "yes"}, "pregnancy"),
        ({"age": 16}, "under_18"),
        ({"metal_in_head": "unsure"}, "metal_unsure"),
        ({"metal_in_head": "skipped"}, "metal_unsure"),
        ({"seizure_history": "unsure"}, "unanswered"),
        ({"heart_device": "skipped"}, "unanswered"),
        ({"age": "skipped"}, "unanswered"),
    ],
    ids=lambda value: (
        "-".join(f"{slot}={answer}" for slot, answer in value.items())
        if isinstance(value, dict)
        else value
    ),
)
def test_doctor_review(changes, reason):
    outcome = decide_outcome(answers(**changes))
    assert outcome.category == DOCTOR_REVIEW
    assert outcome.reasons == (reason,)


def test_metal_in_head_is_not_suitable_and_other_reasons_are_still_listed():
    outcome = decide_outcome(
        answers(metal_in_head="yes", seizure_history="yes", antidepressant_count=0)
    )
    assert outcome.category == NOT_SUITABLE
    assert outcome.reasons == ("metal_in_head", "seizure_history", "no_medication_yet")


def test_no_medication_tried_is_not_yet():
    outcome = decide_outcome(
        answers(antidepressant_count=0, medication_side_effects="not applicable")
    )
    assert outcome.category == NOT_YET
    assert outcome.reasons == ("no_medication_yet",)


def test_no_diagnosis_is_not_yet():
    outcome = decide_outcome(answers(diagnosed_depression="no"))
    assert outcome.category == NOT_YET
    assert outcome.reasons == ("no_diagnosis_yet",)


def test_metal_in_head_beats_everything():
    outcome = decide_outcome(
        answers(
            metal_in_head="yes",
            heart_device="yes",
            pregnant="yes",
            age=16,
            diagnosed_depression="no",
        )
    )
    assert outcome.category == NOT_SUITABLE
    assert outcome.reasons[0] == "metal_in_head"


def test_doctor_review_beats_not_yet_but_keeps_its_reason():
    outcome = decide_outcome(answers(bipolar_disorder="yes", antidepressant_count=0))
    assert outcome.category == DOCTOR_REVIEW
    assert outcome.reasons == ("bipolar_disorder", "no_medication_yet")


def tracker_with_answers(values):
    """The tracker the action server receives when the form has finished."""
    slots = {**values, "checklist_retries": 0, "checklist_outcome": None}
    return Tracker(
        "test-user",
        slots,
        {"text": "52", "intent": {"name": "inform", "confidence": 0.9}},
        [],
        False,
        None,
        {},
        "candidacy_form",
    )


def run_outcome_action(values):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(
        ActionChecklistOutcome().run(dispatcher, tracker_with_answers(values), {})
    )
    return dispatcher.messages, events


def test_good_candidate_messages_in_order_with_the_count():
    messages, _ = run_outcome_action(
        answers(antidepressant_count=3, medication_side_effects="yes")
    )
    assert [message["response"] for message in messages] == [
        "utter_outcome_good_candidate",
        "utter_reason_medication_trials",
        "utter_reason_side_effects",
        "utter_outcome_next_steps",
    ]
    assert messages[1]["antidepressant_count"] == 3


def test_not_suitable_messages_list_every_reason_then_next_steps():
    messages, _ = run_outcome_action(
        answers(metal_in_head="yes", bipolar_disorder="yes")
    )
    assert [message["response"] for message in messages] == [
        "utter_outcome_not_suitable",
        "utter_reason_metal_in_head",
        "utter_reason_bipolar_disorder",
        "utter_outcome_next_steps",
    ]


def test_outcome_clears_every_answer_and_remembers_the_outcome():
    _, events = run_outcome_action(answers(pregnant="yes"))
    slot_values = {event["name"]: event["value"] for event in events if event["event"] == "slot"}
    for slot in FORM_SLOTS:
        assert slot in slot_values and slot_values[slot] is None, slot
    assert slot_values["checklist_retries"] == 0
    assert slot_values["checklist_outcome"] == DOCTOR_REVIEW
