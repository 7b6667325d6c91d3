"""Checklist answers typed as plain statements, with the real NLU model.

The classifier files many first-person answers under an FAQ topic ("I have epilepsy"
reads like a question about who cannot have TMS). They must still answer the
question, while a real question in the middle of the checklist still gets its FAQ
answer and the question again.
"""

SEIZURE_QUESTION = "been told you have epilepsy"
BIPOLAR_QUESTION = "diagnosed with bipolar disorder"


def test_statements_answer_the_checklist_and_a_seizure_history_needs_a_doctor(chat):
    texts = chat.texts("am I a candidate for TMS?")
    for statement in ["I've been diagnosed with depression", "Zoloft and Lexapro",
                      "I couldn't handle the side effects", "yes", "no", "no"]:
        texts = chat.texts(statement)
    assert any(SEIZURE_QUESTION in text for text in texts)

    texts = chat.texts("I have epilepsy")
    assert any(BIPOLAR_QUESTION in text for text in texts), texts
    slots = chat.tracker()["slots"]
    assert slots["diagnosed_depression"] == "yes"
    assert slots["medication_side_effects"] == "yes"
    assert slots["seizure_history"] == "yes"
    for statement in ["no", "no", "44"]:
        texts = chat.texts(statement)
    assert "a doctor needs to review" in texts[0]
    assert "not a diagnosis" in texts[-1]


def test_a_question_about_the_same_topic_is_answered_and_the_question_asked_again(chat):
    texts = chat.texts("am I a candidate for TMS?")
    for answer in ["yes", "2", "yes", "yes", "no", "no"]:
        texts = chat.texts(answer)
    assert any(SEIZURE_QUESTION in text for text in texts)

    texts = chat.texts("can I still have TMS if I've had seizures?")
    assert "seizure" in texts[0].lower() and SEIZURE_QUESTION not in texts[0], \
        "the FAQ answer comes first"
    assert SEIZURE_QUESTION in texts[-1], "then the checklist asks its question again"
    assert chat.tracker()["slots"]["seizure_history"] is None
    assert not any(text.startswith("Sorry") for text in texts), "no hint for a question"
