"""When the Rasa server goes away and comes back, the widget reconnects and answers."""

import re

from scripts.run_assistant import stop

# While the server is down the browser logs its failed connection attempts.
CONNECTION_ERRORS = re.compile(
    r"ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|WebSocket connection to 'ws://localhost:17005/"
)


def test_the_widget_reconnects_after_the_rasa_server_restarts(chat, servers):
    chat.load().open_chat()
    chat.say("what are the side effects?", expect="headache")
    page = chat.page

    stop([servers.rasa])
    try:
        connecting = page.locator("#webchat .rw-loading")
        connecting.wait_for(state="visible", timeout=20_000)
        assert "Connecting" in connecting.inner_text()
        assert page.locator("#webchat .rw-new-message").is_visible(), "the chat stays on screen"
        assert page.locator(".emergency").is_visible()
    finally:
        servers.start_rasa()

    page.locator("#webchat .rw-loading").wait_for(state="detached", timeout=30_000)
    chat.say("is it like ECT?", expect="anesthesia")
    assert chat.user_messages_on_server()[-1] == "is it like ECT?"
    assert chat.console_errors(allowed=CONNECTION_ERRORS) == []
    assert not chat.outside_requests()
