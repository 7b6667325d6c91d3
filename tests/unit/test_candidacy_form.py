"""The checklist form's validation, run through rasa_sdk as the Rasa server calls it.

Each test builds the tracker that the form sends after a reply: the reply's text is
the slot candidate, a SlotSet after the latest user message, which is how
Tracker.slots_to_validate() finds it. A clean value, or a hint and a reset slot,
must come back; after two misses in a row the person is offered to skip.
"""

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import (
    ActionExecuted, ActionExecutionRejected, ActiveLoop, SlotSet, UserUttered,
)
from rasa_sdk.executor import CollectingDispatcher

from actions.candidacy_form import ActionResetChecklist, ValidateCandidacyForm

ROOT = Path(__file__).resolve().parents[2]
CHECKLIST = yaml.safe_load((ROOT / "domain" / "checklist.yml").read_text(encoding="utf-8"))
DOMAIN = {"forms": CHECKLIST["forms"], "slots": CHECKLIST["slots"]}
FORM_SLOTS = CHECKLIST["forms"]["candidacy_form"]["required_slots"]


def tracker_after_reply(slot, text, intent, retries=0, answered=None):
    """The form's tracker once `text` was extracted as the candidate for `slot`."""
    latest_message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [],
    }
    slots = {name: None for name in FORM_SLOTS}
    slots.update(answered or {})
    slots.update(
        {"requested_slot": slot, "checklist_retries": retries, slot: text}
    )
    events = [
        ActionExecuted("action_listen"),
        UserUttered("start the checklist", {"intent": {"name": "start_checklist"}}),
        ActionExecuted("candidacy_form"),
        ActiveLoop("candidacy_form"),
        SlotSet("requested_slot", slot),
        ActionExecuted("action_listen"),
        UserUttered(text, latest_message),
        ActionExecuted("action_extract_slots"),
        SlotSet(slot, text),
    ]
    return Tracker(
        "test-user",
        slots,
        latest_message,
        events,
        False,
        None,
        {"name": "candidacy_form"},
        "action_extract_slots",
    )


def validate(tracker):
    """Runs the validation action; returns the responses sent and the events."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateCandidacyForm().run(dispatcher, tracker, DOMAIN))
    return [message["response"] for message in dispatcher.messages], events


def test_yes_button_is_accepted_and_retries_reset():
    sent, events = validate(
        tracker_after_reply("diagnosed_depression", "/affirm", "affirm", retries=1)
    )
    assert SlotSet("diagnosed_depression", "yes") in events
    assert SlotSet("checklist_retries", 0) in events
    assert sent == []


def test_typed_yes_is_accepted():
    sent, events = validate(tracker_after_reply("seizure_history", "yes, I was", "inform"))
    assert SlotSet("seizure_history", "yes") in events
    assert sent == []


def test_named_medications_are_counted():
    sent, events = validate(
        tracker_after_reply("antidepressant_count", "Zoloft and Lexapro", "inform")
    )
    assert SlotSet("antidepressant_count", 2) in events
    assert SlotSet("checklist_retries", 0) in events
    assert sent == []


@pytest.mark.parametrize("reply", ["none", "nope never"])
def test_no_medication_also_answers_the_side_effects_question(reply):
    sent, events = validate(tracker_after_reply("antidepressant_count", reply, "deny"))
    assert SlotSet("antidepressant_count", 0) in events
    assert SlotSet("medication_side_effects", "not applicable") in events
    assert sent == []


def test_age_is_read():
    sent, events = validate(tracker_after_reply("age", "I'm 52", "inform"))
    assert SlotSet("age", 52) in events
    assert sent == []


# Replies typed into the form, each with the intent the current NLU model gives it:
# the words decide, so a skip word, "yes" before braces or a dose does not mislead.
READ_THROUGH_THE_FORM = [
    ("age", "44, next question", "skip_question", 44),
    ("age", "I turn 18 next month", "inform", 17),
    ("age", "/skip_question", "skip_question", "skipped"),
    ("medication_side_effects", "yes but i'll pass on details", "affirm", "yes"),
    ("pregnant", "planning to get pregnant next year", "nlu_fallback", "yes"),
    ("pregnant", "im not pregnant", "deny", "no"),
    ("metal_in_head", "yes, braces", "affirm", "no"),
    ("metal_in_head", "just dental fillings", "out_of_scope", "no"),
    ("metal_in_head", "metal plate in my skull", "inform", "yes"),
    ("seizure_history", "definitely not", "affirm", "no"),
    ("antidepressant_count", "Prozac 20", "inform", 1),
    ("antidepressant_count", "Wellbutrin XL 300", "inform", 1),
    ("antidepressant_count", "olanzapine-fluoxetine", "inform", 1),
    ("antidepressant_count", "I've tried about a dozen", "inform", 12),
]


@pytest.mark.parametrize("slot, reply, intent, value", READ_THROUGH_THE_FORM)
def test_replies_are_read_by_their_words_through_the_form(slot, reply, intent, value):
    sent, events = validate(tracker_after_reply(slot, reply, intent, retries=1))
    assert SlotSet(slot, value) in events
    assert SlotSet("checklist_retries", 0) in events
    assert sent == []


INVALID_REPLIES = [
    ("heart_device", "what do you mean?", "nlu_fallback", "utter_hint_yes_no"),
    ("antidepressant_count", "the blue ones", "inform", "utter_hint_medication_count"),
    ("age", "old enough", "inform", "utter_hint_age"),
]


@pytest.mark.parametrize("slot, reply, intent, hint", INVALID_REPLIES)
def test_a_reply_that_is_not_an_answer_is_asked_again_with_a_hint(slot, reply, intent, hint):
    sent, events = validate(tracker_after_reply(slot, reply, intent, retries=0))
    assert SlotSet(slot, None) in events
    assert SlotSet("checklist_retries", 1) in events
    assert sent == [hint]


@pytest.mark.parametrize("slot, reply, intent, hint", INVALID_REPLIES)
def test_a_second_miss_in_a_row_offers_to_skip(slot, reply, intent, hint):
    sent, events = validate(tracker_after_reply(slot, reply, intent, retries=1))
    assert SlotSet(slot, None) in events
    assert SlotSet("checklist_retries", 2) in events
    assert sent == [hint, "utter_offer_skip"]


def test_reset_checklist_clears_every_answer():
    answered = {slot: "yes" for slot in FORM_SLOTS}
    answered.update({"antidepressant_count": 3, "age": 40})
    tracker = Tracker(
        "test-user",
        {**answered, "checklist_retries": 1, "checklist_outcome": "good_candidate"},
        {"text": "start over", "intent": {"name": "restart_checklist"}},
        [],
        False,
        None,
        {},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionResetChecklist().run(dispatcher, tracker, DOMAIN))
    slot_values = {event["name"]: event["value"] for event in events if event["event"] == "slot"}
    for slot in FORM_SLOTS:
        assert slot in slot_values and slot_values[slot] is None, slot
    assert slot_values["checklist_retries"] == 0
    assert slot_values["checklist_outcome"] is None
    assert dispatcher.messages == []


# Statements the NLU model files under an FAQ topic, typed as answers to the question.
STATEMENTS_UNDER_FAQ_TOPICS = [
    ("diagnosed_depression", "I've been diagnosed with depression", "ask_who_benefits", "yes"),
    ("antidepressant_count", "i have never taken antidepressants", "ask_why_meds_fail", 0),
    ("medication_side_effects", "I couldn't handle the side effects", "ask_side_effects", "yes"),
    ("medication_side_effects", "they made me feel numb", "ask_session_experience", "yes"),
    ("metal_in_head", "I have a cochlear implant", "ask_contraindications", "yes"),
    ("metal_in_head", "I have braces on my teeth", "ask_contraindications", "no"),
    ("heart_device", "I have a defibrillator", "ask_contraindications", "yes"),
    ("seizure_history", "I have epilepsy", "ask_contraindications", "yes"),
    ("seizure_history", "I had a seizure last year", "ask_contraindications", "yes"),
    ("bipolar_disorder", "I have bipolar disorder", "ask_contraindications", "yes"),
    ("pregnant", "I'm 12 weeks pregnant", "ask_contraindications", "yes"),
]


@pytest.mark.parametrize("slot, reply, intent, value", STATEMENTS_UNDER_FAQ_TOPICS)
def test_a_statement_filed_under_an_faq_topic_answers_the_question(slot, reply, intent, value):
    sent, events = validate(tracker_after_reply(slot, reply, intent))
    assert SlotSet(slot, value) in events
    assert sent == []


@pytest.mark.parametrize("slot, reply, intent", [
    ("seizure_history", "can I have TMS if I have epilepsy?", "ask_contraindications"),
    ("metal_in_head", "I have a shunt, does that matter", "ask_contraindications"),
    ("pregnant", "is it safe while pregnant", "ask_contraindications"),
    ("tried_psychotherapy", "how long does a session last", "ask_session_experience"),
])
def test_an_faq_question_mid_checklist_goes_to_the_faq_answers_without_a_hint(slot, reply, intent):
    sent, events = validate(tracker_after_reply(slot, reply, intent, retries=1))
    assert ActionExecutionRejected("candidacy_form") in events, "the FAQ rules answer it"
    assert SlotSet(slot, None) in events
    assert sent == [], "no hint: the FAQ answer comes, then the question again"
    assert not any(isinstance(e, dict) and e.get("name") == "checklist_retries" for e in events)
