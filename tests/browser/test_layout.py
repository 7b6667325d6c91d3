"""Phone and desktop: the emergency line stays visible, nothing overflows, the chat is usable.

Saves results/browser/phone-page.png and desktop-page.png (the whole page, chat closed)
and results/browser/phone.png and desktop.png with a conversation open.
"""

import pytest

SCREENS = {
    "phone": {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}

NO_OVERFLOW = "[document.documentElement.scrollWidth, window.innerWidth]"


def emergency_line_is_on_top(page):
    """The emergency line is inside the viewport and nothing covers it."""
    box = page.locator(".emergency").bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]
    for link in ("988", "911"):
        target = page.locator(".emergency a", has_text=link)
        assert target.is_visible()
        covered = target.evaluate("""element => {
            const r = element.getBoundingClientRect();
            const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return !(top === element || element.contains(top));
        }""")
        assert not covered, f"the {link} link is covered"


def no_horizontal_overflow(page, width):
    scroll_width, inner_width = page.evaluate(NO_OVERFLOW)
    assert inner_width == width
    assert scroll_width <= inner_width, f"page is {scroll_width}px wide on a {width}px screen"


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_the_page_and_chat_fit_the_screen(screen, new_visitor):
    chat = new_visitor(**SCREENS[screen])
    width = SCREENS[screen]["viewport"]["width"]
    chat.load()
    page = chat.page
    emergency_line_is_on_top(page)
    no_horizontal_overflow(page, width)
    chat.screenshot(f"{screen}-page", full_page=True)

    page.mouse.wheel(0, 2000)  # scrolled down, the emergency line is still there
    page.wait_for_function("() => window.scrollY > 0")
    emergency_line_is_on_top(page)
    page.evaluate("window.scrollTo(0, 0)")

    chat.open_chat()
    chat.choose("Is it like ECT?", expect="anything else")
    chat.say("How long does the treatment take?", expect="checklist")
    emergency_line_is_on_top(page)
    no_horizontal_overflow(page, width)

    field = page.locator("#webchat .rw-new-message")
    assert field.is_visible() and field.bounding_box()["x"] + field.bounding_box()["width"] <= width
    last_reply = page.locator("#webchat .rw-reply").last
    last_reply.scroll_into_view_if_needed()
    assert last_reply.is_visible()
    box = last_reply.bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= width, "quick replies fit the screen"

    chat.screenshot(screen)
    assert chat.console_errors() == [] and not chat.outside_requests()
