"""The page loads from this site only, without errors, is the clinic's own (clinic.yml),
and the widget greets the visitor."""

from components.clinic_settings import load_clinic_settings

GREETING_REPLIES = ["How TMS works", "Is it like ECT?", "Side effects", "Am I a candidate?"]


def test_the_page_loads_from_localhost_only_and_the_widget_greets(chat):
    chat.load()
    page = chat.page
    assert page.get_by_role("heading", level=1).is_visible()
    emergency = page.locator(".emergency")
    assert emergency.is_visible()
    assert "988" in emergency.inner_text() and "911" in emergency.inner_text()
    assert page.locator(".privacy").is_visible()
    assert load_clinic_settings().name in page.title()

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


def test_the_branding_comes_from_clinic_yml(chat):
    """The page server reads the same clinic.yml (or $CLINIC_SETTINGS) as this test."""
    clinic = load_clinic_settings()
    digits = "".join(ch for ch in clinic.phone if ch.isdigit() or ch == "+")
    chat.load()
    page = chat.page
    primary = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--primary').trim()")
    assert primary.lower() == clinic.branding["primary_color"].lower()
    call = page.locator(".site-header a.header-call")
    assert call.get_attribute("href") == f"tel:{digits}"
    assert clinic.phone in call.inner_text()
    privacy = page.locator(".privacy").inner_text()
    assert f"{clinic.privacy['retention_days']} days after its last message" in privacy
    assert "delete my data" in privacy and "checklist answers about your health" in privacy
    icon = page.request.get(chat.url + page.locator("link[rel=icon]").get_attribute("href")[1:])
    assert icon.ok and clinic.branding["primary_color"] in icon.text()
    assert clinic.branding["accent_color"] in icon.text()
