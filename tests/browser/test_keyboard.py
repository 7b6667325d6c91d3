"""The chat works with the keyboard alone, and its controls have accessible names."""

import re

ACTIVE_CLASS = "document.activeElement && document.activeElement.className"


def tab_until(page, css_class, key="Tab", limit=40):
    for _ in range(limit):
        page.keyboard.press(key)
        if css_class in (page.evaluate(ACTIVE_CLASS) or ""):
            return
    raise AssertionError(f"{key} never reached .{css_class}")


def test_the_chat_works_with_the_keyboard_alone(chat):
    chat.load()
    page = chat.page

    tab_until(page, "rw-launcher")
    launcher = page.get_by_role("button", name=re.compile("open the chat", re.I))
    assert launcher.evaluate("element => element === document.activeElement")
    page.keyboard.press("Enter")
    chat.wait_for_bot("welcome")
    assert "rw-new-message" in page.evaluate(ACTIVE_CLASS), "focus moves into the message field"

    page.keyboard.type("what are the side effects?")
    page.keyboard.press("Enter")
    chat.wait_for_bot("anything else", after="what are the side effects?")
    assert "headache" in chat.bot_after("what are the side effects?")[0]

    # The quick replies sit just above the message field: Shift+Tab reaches them.
    tab_until(page, "rw-reply", key="Shift+Tab", limit=6)
    chosen = page.evaluate("document.activeElement.innerText").strip()
    assert chosen in chat.quick_replies()
    page.keyboard.press("Enter")
    chat.wait_for_bot("", after=chosen)
    assert chat.bot_after(chosen), f"the quick reply {chosen!r} was sent and answered"
    assert "rw-new-message" in page.evaluate(ACTIVE_CLASS), "focus returns to the message field"

    # Escape closes the chat and gives focus back to the launcher.
    page.keyboard.press("Escape")
    page.wait_for_selector("#webchat .rw-conversation-container", state="detached")
    assert "rw-launcher" in page.evaluate(ACTIVE_CLASS)
    assert chat.console_errors() == []


def test_the_chat_controls_have_accessible_names(chat):
    chat.load()
    page = chat.page
    launcher = page.get_by_role("button", name="Open the chat with the Riverbend TMS Center assistant")
    assert launcher.is_visible()
    assert launcher.get_attribute("aria-expanded") == "false"

    chat.open_chat()
    assert page.get_by_role("textbox", name=re.compile("your message", re.I)).is_visible()
    assert page.get_by_role("button", name="Send").is_visible()
    assert page.get_by_role("button", name="Close the chat").first.is_visible()
    assert page.get_by_role("dialog", name=re.compile("chat with", re.I)).is_visible()
    assert page.get_by_role("log", name="Conversation").get_attribute("aria-live") == "polite"
    for title in chat.quick_replies():
        reply = page.get_by_role("button", name=title, exact=True)
        assert reply.is_visible() and reply.get_attribute("tabindex") == "0"
