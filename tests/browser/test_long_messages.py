"""A message over the 5,000-character limit: a note says so while typing, and once
sent, a crisis still gets the crisis resources first; anything else a kind answer."""

from tests.e2e.long_texts import GOODBYE_LETTER, ORDINARY_LONG


def send_long(chat, text):
    """Pastes text into the field, checks the note, sends it; the bot's bubbles after it."""
    field = chat.page.locator("#webchat .rw-new-message")
    field.fill(text)
    warning = chat.page.locator("#webchat .chat-length-warning")
    assert warning.is_visible() and "shorter parts" in warning.inner_text()
    assert "988" in warning.inner_text()
    assert field.get_attribute("aria-describedby") == "chat-length-warning"
    chat.screenshot("long-message-warning")
    users_before = sum(1 for who, _ in chat.transcript() if who == "user")
    field.press("Enter")
    chat.page.wait_for_function(
        """([count]) => document.querySelectorAll('#webchat .rw-from-client').length > count
            && document.querySelector('#webchat .rw-messages-container .rw-from-client:last-of-type') !== null""",
        arg=[users_before])
    chat.page.wait_for_function(
        """() => { const all = [...document.querySelectorAll('#webchat .rw-messages-container .rw-message-text')];
            const last = all.map(el => !!el.closest('.rw-from-client')).lastIndexOf(true);
            return last >= 0 && all.length > last + 1; }""")
    warning.wait_for(state="hidden")
    items = chat.transcript()
    last_user = max(i for i, (who, _) in enumerate(items) if who == "user")
    return [text for who, text in items[last_user + 1:] if who == "bot"]


def test_a_long_goodbye_letter_gets_the_crisis_resources_first(chat):
    chat.load().open_chat()
    replies = send_long(chat, GOODBYE_LETTER)
    assert "988" in replies[0] and "911" in replies[0], f"first reply: {replies[0]!r}"
    assert chat.console_errors() == []


def test_a_long_ordinary_message_is_kindly_refused(chat):
    chat.load().open_chat()
    replies = send_long(chat, ORDINARY_LONG)
    assert "shorter parts" in replies[0] and "988" in replies[0]
    chat.say("what are the side effects?", expect="headache")
