"""A visitor types questions, clicks quick replies, takes the checklist, and says they are in crisis."""

from components.clinic_settings import load_clinic_settings


def test_a_typed_question_shows_its_answer(chat):
    chat.load().open_chat()
    answer = chat.say("what are the side effects?", expect="headache")
    assert "scalp discomfort" in answer[0]
    assert chat.console_errors() == [] and not chat.outside_requests()


def test_a_quick_reply_asks_its_question(chat):
    chat.load().open_chat()
    answer = chat.choose("Is it like ECT?", expect="anesthesia")
    assert "not ECT" in answer[0]
    assert ("user", "Is it like ECT?") in chat.transcript(), "the choice shows as the visitor's message"


def test_the_checklist_by_clicking_and_typing_ends_with_an_outcome(chat):
    chat.load().open_chat()
    chat.choose("Am I a candidate?", expect="diagnosed you with depression")
    assert chat.quick_replies() == ["Yes", "No", "Not sure"]
    chat.choose("Yes", expect="antidepressant medications")
    chat.say("Zoloft and Lexapro", expect="side effects that were hard")
    chat.choose("No", expect="talk therapy")
    chat.choose("Not sure", expect="metal or implanted device")
    chat.choose("No", expect="heart device")
    chat.choose("No", expect="seizure")
    chat.choose("No", expect="bipolar")
    chat.choose("No", expect="pregnant")
    chat.choose("No / doesn't apply", expect="how old are you")
    outcome = chat.say("45", expect="not a diagnosis")

    text = "\n".join(outcome)
    assert "may be a good fit" in text
    assert "tried 2 antidepressant" in text, "'Zoloft and Lexapro' counts as two medications"
    assert load_clinic_settings().phone in text
    assert chat.page.get_by_role("link", name="Book a consultation").last.is_visible()


def test_a_crisis_message_shows_the_crisis_resources_first(chat):
    chat.load().open_chat()
    message = "I don't want to live anymore"
    field = chat.page.locator("#webchat .rw-new-message")
    field.fill(message)
    field.press("Enter")
    chat.wait_for_bot("988", after=message)

    replies = chat.bot_after(message)
    assert "988" in replies[0] and "911" in replies[0], f"first reply: {replies[0]!r}"
    first_bubble = chat.page.locator("#webchat .rw-from-response .rw-message-text").filter(
        has_text="988").last
    assert first_bubble.is_visible()
    assert first_bubble.locator("strong", has_text="988").is_visible()
    assert first_bubble.locator("strong", has_text="call 911").is_visible()
    # The page's own emergency line stays on screen beside the chat.
    assert chat.page.locator(".emergency").is_visible()
