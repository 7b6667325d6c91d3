"""Conversations over REST with the real servers: answers, the checklist, the crisis path."""

import pytest


def answer_checklist(chat, answers):
    """Starts the checklist and gives the answers; returns the texts of the last reply."""
    texts = chat.texts("am I a candidate for TMS?")
    assert any("diagnosed you with depression" in text for text in texts)
    for answer in answers:
        texts = chat.texts(answer)
    return texts


def test_a_faq_question_gets_its_answer_and_a_next_step(chat):
    texts = chat.texts("is tms the same as shock therapy?")
    assert "no anesthesia" in texts[0].lower()
    assert len(texts) == 2, "the answer is followed by a next step"


def test_clinic_facts_come_from_clinic_yml(chat):
    texts = chat.texts("how do I book an appointment?")
    joined = " ".join(texts)
    assert "(555) 010-0142" in joined and "riverbend-tms.example/book" in joined
    assert "{" not in joined


def test_the_checklist_ends_with_an_outcome_that_is_not_a_diagnosis(chat):
    texts = answer_checklist(
        chat, ["yes", "Zoloft and Lexapro", "yes", "no", "no", "no", "no", "no", "no", "45"]
    )
    assert "good fit" in texts[0]
    assert any("2 antidepressant" in text for text in texts)
    assert "not a diagnosis" in texts[-1] and "(555) 010-0142" in texts[-1]


def test_metal_in_the_head_makes_tms_likely_unsuitable(chat):
    texts = answer_checklist(
        chat, ["yes", "3", "no", "yes", "yes", "no", "no", "no", "no", "50"]
    )
    assert "likely not suitable" in texts[0]
    assert "not a diagnosis" in texts[-1]


def test_an_invalid_answer_is_asked_again_with_a_hint(chat):
    answer_checklist(chat, ["yes"])
    texts = chat.texts("purple")
    assert texts[0].startswith("Sorry")
    assert "antidepressant" in texts[-1]


def test_a_question_mid_checklist_is_answered_and_the_checklist_resumes(chat):
    answer_checklist(chat, ["yes"])
    texts = chat.texts("what are the side effects?")
    assert "headache" in texts[0].lower()
    assert "antidepressant" in texts[-1], "the checklist asks its question again"


def test_stopping_and_resuming_the_checklist(chat):
    answer_checklist(chat, ["yes", "2"])
    assert "paused" in chat.texts("stop")[0]
    texts = chat.texts("continue the checklist")
    assert "side effects" in texts[-1], "it resumes at the next unanswered question"


@pytest.mark.parametrize(
    "message",
    ["I want to kill myself", "kms", "i dont want to be here anymore",
     "how much does it cost? doesn't matter, I won't be around by then",
     "ya no quiero vivir así, tengo todo listo"],
)
def test_a_crisis_message_gets_988_and_911_first(chat, message):
    texts = chat.texts(message)
    assert "988" in texts[0] and "911" in texts[0]
    assert chat.tracker()["slots"]["crisis_flagged"] is True


def test_a_crisis_in_the_middle_of_the_checklist_interrupts_it(chat):
    answer_checklist(chat, ["yes", "2"])
    texts = chat.texts("honestly I just want to die")
    assert "988" in texts[0] and "911" in texts[0]
    assert "paused the checklist" in texts[-1]
    assert chat.tracker()["active_loop"] in ({}, None) or not chat.tracker()["active_loop"].get("name")


@pytest.mark.parametrize(
    "message", ["this wait is killing me", "I'm dying to know how it works", "my battery is dead",
                "cuánto cuesta una sesión de tms"]
)
def test_ordinary_idioms_do_not_trigger_the_crisis_path(chat, message):
    texts = chat.texts(message)
    assert not any("988" in text and "911" in text for text in texts)
    assert chat.tracker()["slots"]["crisis_flagged"] is False
