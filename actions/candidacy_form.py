"""Validation of the candidacy checklist's answers, and the action that restarts it.

Every answer arrives as the text of the reply (domain/checklist.yml maps each slot
from the text only while the form asks for it). Each slot has a kind that says how
to read it; a reply that is not an answer is re-asked with a hint, and after
SKIP_OFFER_AFTER misses in a row the person is offered to skip the question.

Statements the classifier files under an FAQ topic ("I have epilepsy" reads as a
question about who cannot have TMS) reach the form too. Read as an answer when they
give one; a question, or a statement that answers nothing, is handed back: the form
rejects the turn, the FAQ rules answer it, and the question is asked again, with no
hint and no miss counted.
"""

from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_parsing import NOT_APPLICABLE, is_question, parse_age, parse_yes_no
from actions.checklist_outcome import CHECKLIST_SLOTS, clear_answers
from actions.medications import count_medications

SKIP_OFFER_AFTER = 2
FORM = "candidacy_form"
# FAQ topics that first-person answers are often filed under (domain/checklist.yml
# maps them to the checklist's slots).
ANSWER_BEARING_FAQ_INTENTS = {
    "ask_contraindications", "ask_side_effects", "ask_medication_therapy",
    "ask_why_meds_fail", "ask_who_benefits", "ask_session_experience",
}

# slot kind -> reader of (text, intent, slot). The words of the reply decide before
# the intent (a button payload has no words), and the slot lets a question read its
# own things: "I have fillings" is no to the metal question, "im pregnant" yes.
READERS: Dict[Text, Callable[[Text, Optional[Text], Text], Any]] = {
    "yes_no": parse_yes_no,
    "medication_count": lambda text, intent, slot: count_medications(text, intent),
    "age": lambda text, intent, slot: parse_age(text, intent),
}
SLOT_KINDS = {slot: "yes_no" for slot in CHECKLIST_SLOTS}
SLOT_KINDS.update({"antidepressant_count": "medication_count", "age": "age"})


def read_answer(slot: Text, text: Any, intent: Optional[Text]) -> Any:
    """The value of a checklist answer, or None when the reply does not answer."""
    return READERS[SLOT_KINDS[slot]](str(text or ""), intent, slot)


class ValidateCandidacyForm(FormValidationAction):
    """Turns each reply into a clean value, or re-asks with a hint."""

    def name(self) -> Text:
        return "validate_candidacy_form"

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        events: List[EventType] = []
        for slot, raw in tracker.slots_to_validate().items():
            # None is not a reply: it is an answer forgotten by action_reset_checklist.
            if slot not in SLOT_KINDS or raw is None:
                continue
            faq_topic = intent in ANSWER_BEARING_FAQ_INTENTS
            value = None if faq_topic and is_question(str(raw)) else read_answer(slot, raw, intent)
            if value is None and faq_topic:
                return [SlotSet(slot, None), ActionExecutionRejected(FORM)]
            if value is None:
                events += self._reject(slot, dispatcher, tracker)
                continue
            events += [SlotSet(slot, value), SlotSet("checklist_retries", 0)]
            if slot == "antidepressant_count" and value == 0:
                # No medication tried: "did they cause side effects?" does not apply.
                events.append(SlotSet("medication_side_effects", NOT_APPLICABLE))
        return events

    @staticmethod
    def _reject(
        slot: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> List[EventType]:
        misses = int(tracker.get_slot("checklist_retries") or 0) + 1
        dispatcher.utter_message(response=f"utter_hint_{SLOT_KINDS[slot]}")
        if misses >= SKIP_OFFER_AFTER:
            dispatcher.utter_message(response="utter_offer_skip")
        return [SlotSet(slot, None), SlotSet("checklist_retries", misses)]


class ActionResetChecklist(Action):
    """Forgets the checklist answers so that it starts again from the first question."""

    def name(self) -> Text:
        return "action_reset_checklist"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return clear_answers() + [SlotSet("checklist_outcome", None)]
