"""Real-browser tests of the demo page and its chat widget (rasa-webchat).

The assistant runs on its own ports (Rasa 17005, actions 17055, page 17080) with
its own conversation database, through the same AssistantServers class that
`make run` uses, so these tests never clash with `make run` or the e2e tests.
The browser is the system's Chromium (/usr/bin/chromium, or $CHROMIUM) driven
by Playwright; nothing is downloaded. Screenshots go to results/browser/.
"""

import json
import os
import re
import socket
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlparse

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from scripts.run_assistant import ROOT, AssistantServers, newest_model

RASA_PORT, ACTION_PORT, WEB_PORT = 17005, 17055, 17080
API_TOKEN = f"browser-test-{uuid.uuid4().hex[:8]}"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
SCREENSHOTS = ROOT / "results" / "browser"
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
DESKTOP = {"width": 1280, "height": 800}
REPLY_TIMEOUT_MS = 30_000


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def servers(tmp_path_factory) -> AssistantServers:
    """The running assistant, shared by every browser test."""
    busy = [port for port in (RASA_PORT, ACTION_PORT, WEB_PORT) if port_in_use(port)]
    if busy:
        pytest.fail(f"ports {busy} are already in use: is another browser test run going on?")
    assistant = AssistantServers(
        model=newest_model(),
        rasa_port=RASA_PORT,
        action_port=ACTION_PORT,
        web_port=WEB_PORT,
        tracker_db=str(tmp_path_factory.mktemp("browser-tracker") / "conversations.db"),
        log_dir=str(ROOT / "results" / "browser-logs"),
        api_token=API_TOKEN,
    )
    try:
        assistant.start()
        yield assistant
    finally:
        assistant.stop()


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (or set $CHROMIUM)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Lets fixtures know whether the test failed (for failure screenshots)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


class ChatPage:
    """The demo page in one browser tab, seen the way a visitor sees it.

    Records every request, websocket, console message and page error, so a test
    can check that nothing went to another host and nothing went wrong.
    """

    def __init__(self, page: Page, servers: AssistantServers) -> None:
        self.page = page
        self.servers = servers
        self.url = f"http://localhost:{servers.web_port}/"
        self.requests: List[str] = []
        self.console: List[Tuple[str, str]] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("websocket", lambda websocket: self.requests.append(websocket.url))
        page.on("console", lambda message: self.console.append((message.type, message.text)))
        page.on("pageerror", lambda error: self.console.append(("pageerror", str(error))))

    # -- what was loaded and logged --

    def outside_requests(self) -> List[str]:
        return [url for url in self.requests
                if urlparse(url).scheme not in ("data", "blob")
                and urlparse(url).hostname not in LOCAL_HOSTS]

    def console_errors(self, allowed: Optional[re.Pattern] = None) -> List[str]:
        return [text for kind, text in self.console
                if kind in ("error", "pageerror") and not (allowed and allowed.search(text))]

    # -- the widget --

    def load(self) -> "ChatPage":
        self.page.goto(self.url, wait_until="load")
        self.page.wait_for_selector("#webchat .rw-launcher", state="visible")
        return self

    def open_chat(self) -> "ChatPage":
        """Opens the widget with its launcher and waits for the greeting."""
        self.page.click("#webchat .rw-launcher")
        self.page.wait_for_selector("#webchat .rw-new-message", state="visible")
        self.wait_for_bot("welcome")
        return self

    def transcript(self) -> List[Tuple[str, str]]:
        """Every bubble shown, in order: ("user" | "bot", text)."""
        return [tuple(item) for item in self.page.evaluate(_TRANSCRIPT_JS)]

    def bot_after(self, user_text: str) -> List[str]:
        """The bot's bubbles after the visitor's last message user_text."""
        items = self.transcript()
        indexes = [i for i, (who, text) in enumerate(items) if who == "user" and text == user_text]
        assert indexes, f"{user_text!r} is not shown: {items}"
        return [text for who, text in items[indexes[-1] + 1:] if who == "bot"]

    def wait_for_bot(self, needle: str, after: Optional[str] = None,
                     timeout: int = REPLY_TIMEOUT_MS) -> None:
        """Waits until a bot bubble (after the visitor's message `after`) contains needle."""
        self.page.wait_for_function(_HAS_BOT_BUBBLE_JS, arg=[after, needle], timeout=timeout)

    def say(self, text: str, expect: str) -> List[str]:
        """Types text, sends it with Enter, waits for a reply containing expect."""
        field = self.page.locator("#webchat .rw-new-message")
        field.fill(text)
        field.press("Enter")
        self.wait_for_bot(expect, after=text)
        return self.bot_after(text)

    def quick_replies(self) -> List[str]:
        return [title.strip() for title in
                self.page.locator("#webchat .rw-replies").last.locator(".rw-reply").all_inner_texts()]

    def choose(self, title: str, expect: str) -> List[str]:
        """Clicks the quick reply `title` and waits for a reply containing expect."""
        self.page.locator("#webchat .rw-replies").last.locator(".rw-reply").filter(
            has_text=re.compile(f"^{re.escape(title)}$")).click()
        self.wait_for_bot(expect, after=title)
        return self.bot_after(title)

    def session_id(self) -> str:
        stored = self.page.evaluate(
            "sessionStorage.getItem('chat_session') || localStorage.getItem('chat_session')")
        return json.loads(stored)["session_id"]

    def user_messages_on_server(self) -> List[str]:
        """What the Rasa server recorded from this visitor's conversation."""
        reply = requests.get(
            f"{self.servers.rasa_url}/conversations/{self.session_id()}/tracker",
            params={"token": API_TOKEN}, timeout=30,
        )
        assert reply.status_code == 200, reply.text
        return [event.get("text") for event in reply.json()["events"] if event["event"] == "user"]

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


# The bubbles in document order. The typing indicator has no .rw-message-text.
_TRANSCRIPT_JS = """() => [...document.querySelectorAll('#webchat .rw-messages-container .rw-message-text')]
    .map(el => [el.closest('.rw-from-client') ? 'user' : 'bot', el.innerText.trim()])"""

_HAS_BOT_BUBBLE_JS = """([after, needle]) => {
    const items = [...document.querySelectorAll('#webchat .rw-messages-container .rw-message-text')]
        .map(el => [el.closest('.rw-from-client') ? 'user' : 'bot', el.innerText.trim()]);
    let start = 0;
    if (after !== null) {
        const last = items.map(([who, text]) => who === 'user' && text === after).lastIndexOf(true);
        if (last < 0) return false;
        start = last + 1;
    }
    return items.slice(start).some(([who, text]) =>
        who === 'bot' && text.toLowerCase().includes(needle.toLowerCase()));
}"""


def new_chat_page(browser: Browser, servers: AssistantServers, **context_options) -> ChatPage:
    context = browser.new_context(**{"viewport": DESKTOP, **context_options})
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    return ChatPage(context.new_page(), servers)


@pytest.fixture
def open_pages(request):
    """Closes every page a test opened, with a screenshot of each when the test failed."""
    pages: List[ChatPage] = []
    yield pages
    failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    for number, chat in enumerate(pages):
        if failed:
            try:
                chat.screenshot(f"failed-{request.node.name}-{number}")
            except Exception:  # the page may be gone already
                pass
        chat.page.context.close()


@pytest.fixture
def chat(browser, servers, open_pages) -> ChatPage:
    """The demo page on a desktop screen, in a fresh browser context (a new visitor)."""
    page = new_chat_page(browser, servers)
    open_pages.append(page)
    return page


@pytest.fixture
def new_visitor(browser, servers, open_pages):
    """Opens the page for another visitor (a separate browser context)."""
    def open_page(**context_options) -> ChatPage:
        page = new_chat_page(browser, servers, **context_options)
        open_pages.append(page)
        return page
    return open_page
