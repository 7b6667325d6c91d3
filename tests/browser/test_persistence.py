"""A reload keeps the conversation; another visitor gets a conversation of their own."""


def test_a_reload_keeps_the_conversation_and_it_goes_on(chat, new_visitor):
    chat.load().open_chat()
    chat.say("what does TMS cost?", expect="insurance")
    chat.choose("Take the checklist", expect="diagnosed you with depression")
    before = chat.transcript()
    session = chat.session_id()

    chat.page.reload(wait_until="load")
    chat.page.wait_for_selector("#webchat .rw-new-message", state="visible")
    chat.wait_for_bot("diagnosed you with depression")
    assert chat.transcript() == before, "the earlier messages are still shown"
    assert chat.session_id() == session

    # The next message continues the same conversation: the checklist goes on.
    chat.say("yes", expect="antidepressant medications")
    assert chat.user_messages_on_server() == [
        "/greet", "what does TMS cost?", "/start_checklist", "yes"]

    # A second browser (another visitor) starts afresh.
    other = new_visitor().load().open_chat()
    assert other.session_id() != session
    transcript = other.transcript()
    assert [who for who, _ in transcript] == ["bot"] and "welcome" in transcript[0][1].lower()
    assert other.user_messages_on_server() == ["/greet"]
