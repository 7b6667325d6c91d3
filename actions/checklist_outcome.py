"""The one place that decides what the candidacy checklist concludes, and its action.

decide_outcome() turns the answers into one of four outcomes with reasons a person
can read (each reason is a domain response, utter_reason_<reason>):

- not_suitable:   non-removable metal or an implant in or near the head
- doctor_review:  seizures, a heart device, bipolar disorder, pregnancy, under 18,
                  or a safety question left unsure or skipped
- not_yet:        no antidepressant tried yet, or no diagnosis of depression yet
- good_candidate: otherwise

The most serious outcome wins, and the reasons of the milder ones are still listed.
Every outcome ends with utter_outcome_next_steps: not a diagnosis, the clinic's
phone and the booking link.
"""

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_parsing import NO, SKIPPED, UNSURE, YES

CHECKLIST_SLOTS = (
    "diagnosed_depression",
    "antidepressant_count",
    "medication_side_effects",
    "tried_psychotherapy",
    "metal_in_head",
    "heart_device",
    "seizure_history",
    "bipolar_disorder",
    "pregnant",
    "age",
)
GOOD_CANDIDATE, DOCTOR_REVIEW, NOT_SUITABLE, NOT_YET = (
    "good_candidate",
    "doctor_review",
    "not_suitable",
    "not_yet",
)
NEEDS_REVIEW_IF_YES = {
    "heart_device": "heart_device",
    "seizure_history": "seizure_history",
    "bipolar_disorder": "bipolar_disorder",
    "pregnant": "pregnancy",
}
ADULT_AGE = 18


@dataclass(frozen=True)
class Outcome:
    """What the checklist concludes and why, as response-name suffixes."""

    category: Text
    reasons: Tuple[Text, ...]


def decide_outcome(answers: Mapping[Text, Any]) -> Outcome:
    """Decides the checklist outcome from the answers (see the module docstring)."""
    unanswered = (UNSURE, SKIPPED)
    count = answers.get("antidepressant_count")
    age = answers.get("age")

    not_suitable = ["metal_in_head"] if answers.get("metal_in_head") == YES else []

    review = ["metal_unsure"] if answers.get("metal_in_head") in unanswered else []
    review += [
        reason for slot, reason in NEEDS_REVIEW_IF_YES.items() if answers.get(slot) == YES
    ]
    if isinstance(age, int) and age < ADULT_AGE:
        review.append("under_18")
    left_open = [
        slot
        for slot in CHECKLIST_SLOTS
        if slot not in ("metal_in_head", "medication_side_effects", "tried_psychotherapy")
        and answers.get(slot) in unanswered
    ]
    if left_open:
        review.append("unanswered")

    not_yet = ["no_diagnosis_yet"] if answers.get("diagnosed_depression") == NO else []
    if count == 0:
        not_yet.append("no_medication_yet")

    in_favour = ["medication_trials"] if isinstance(count, int) and count > 0 else []
    if answers.get("medication_side_effects") == YES:
        in_favour.append("side_effects")
    if answers.get("tried_psychotherapy") == NO:
        in_favour.append("no_therapy_yet")

    if not_suitable:
        return Outcome(NOT_SUITABLE, tuple(not_suitable + review + not_yet))
    if review:
        return Outcome(DOCTOR_REVIEW, tuple(review + not_yet))
    if not_yet:
        return Outcome(NOT_YET, tuple(not_yet))
    return Outcome(GOOD_CANDIDATE, tuple(in_favour))


def clear_answers() -> List[EventType]:
    """Events that forget the checklist answers, so the next run starts fresh."""
    return [SlotSet(slot, None) for slot in CHECKLIST_SLOTS] + [SlotSet("checklist_retries", 0)]


class ActionChecklistOutcome(Action):
    """Tells the person the outcome, its reasons and the next steps, then clears answers."""

    def name(self) -> Text:
        return "action_checklist_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        answers = {slot: tracker.get_slot(slot) for slot in CHECKLIST_SLOTS}
        outcome = decide_outcome(answers)
        dispatcher.utter_message(response=f"utter_outcome_{outcome.category}")
        for reason in outcome.reasons:
            dispatcher.utter_message(
                response=f"utter_reason_{reason}",
                antidepressant_count=answers["antidepressant_count"],
            )
        dispatcher.utter_message(response="utter_outcome_next_steps")
        return clear_answers() + [SlotSet("checklist_outcome", outcome.category)]
