"""The page loads from this site only, without errors, and the widget greets the visitor."""

GREETING_REPLIES = ["How TMS works", "Is it like ECT?", "Side effects", "Am I a candidate?"]


def test_the_page_loads_from_localhost_only_and_the_widget_greets(chat):
    chat.load()
    page = chat.page
    assert page.get_by_role("heading", level=1).is_visible()
    emergency = page.locator(".emergency")
    assert emergency.is_visible()
    assert "988" in emergency.inner_text() and "911" in emergency.inner_text()
    assert page.locator(".privacy").is_visible()
    assert "Riverbend TMS Center" in page.title()

    chat.open_chat()
    greeting = chat.transcript()
    assert greeting[0][0] == "bot" and "welcome" in greeting[0][1].lower()
    assert chat.quick_replies() == GREETING_REPLIES
    assert page.locator("#webchat .rw-reply").first.is_visible()

    page.wait_for_load_state("networkidle")
    assert not chat.outside_requests(), "only localhost is contacted (no CDN, no fonts)"
    assert any(url.startswith("ws://localhost:17005/socket.io/") for url in chat.requests), \
        "the widget talks to the Rasa server over a websocket"
    assert chat.console_errors() == []
