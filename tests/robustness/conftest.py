"""Starts the real assistant for the robustness tests, and the clients they talk through.

The servers run through AssistantServers (what `make run` uses) on ports of their
own (Rasa 19005, actions 19055, demo page 19080; 19006/19056 for the slow-action
pair of test_slow_action.py), with their own conversation database in a temporary
folder, the HTTP API behind API_TOKEN and the SMS channel on with the e2e tests'
Twilio test token. Server output goes to results/robustness-logs/. The model is
$TMS_MODEL, or the newest one in models/.
"""

import asyncio
import os
import uuid
import xml.etree.ElementTree as ElementTree
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode

import pytest
import requests
from twilio.request_validator import RequestValidator

from scripts.run_assistant import ROOT, AssistantServers, newest_model
from tests.e2e.conftest import SMS_ENV, TWILIO_TEST_TOKEN

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

RASA_PORT = 19005
ACTION_PORT = 19055
WEB_PORT = 19080
SECOND_RASA_PORT = 19006
SLOW_ACTION_PORT = 19056
API_TOKEN = "robustness-test-token"
LOG_DIR = ROOT / "results" / "robustness-logs"
SMS_PATH = "/webhooks/twilio/webhook"
REST_PATH = "/webhooks/rest/webhook"
REQUEST_TIMEOUT_S = 60
SIGNER = RequestValidator(TWILIO_TEST_TOKEN)


@pytest.fixture(scope="session")
def assistant(tmp_path_factory) -> AssistantServers:
    """The running assistant (actions, Rasa, demo page), shared by the robustness tests."""
    servers = AssistantServers(
        model=newest_model(),
        rasa_port=RASA_PORT,
        action_port=ACTION_PORT,
        web_port=WEB_PORT,
        tracker_db=str(tmp_path_factory.mktemp("robustness-tracker") / "conversations.db"),
        log_dir=str(LOG_DIR),
        api_token=API_TOKEN,
        env={**SMS_ENV, "RASA_TELEMETRY_ENABLED": "false"},
    )
    try:
        servers.start()
    except BaseException:
        servers.stop()
        raise
    yield servers
    servers.stop()


def get_tracker(rasa_url: str, sender: str, session: Optional[requests.Session] = None
                ) -> Dict[str, Any]:
    """The stored conversation, through Rasa's HTTP API."""
    reply = (session or requests).get(
        f"{rasa_url}/conversations/{sender}/tracker",
        params={"token": API_TOKEN}, timeout=REQUEST_TIMEOUT_S,
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


class RestChat:
    """One conversation over the REST channel, through a shared requests.Session."""

    def __init__(self, rasa_url: str, session: Optional[requests.Session] = None,
                 sender: Optional[str] = None) -> None:
        self.rasa_url = rasa_url
        self.session = session or requests.Session()
        self.sender = sender or f"robust-{uuid.uuid4().hex[:12]}"

    def post(self, text: str) -> requests.Response:
        return self.session.post(f"{self.rasa_url}{REST_PATH}",
                                 json={"sender": self.sender, "message": text},
                                 timeout=REQUEST_TIMEOUT_S)

    def say(self, text: str) -> List[Dict[str, Any]]:
        reply = self.post(text)
        assert reply.status_code == 200, reply.text
        messages = reply.json()
        assert isinstance(messages, list), messages
        return messages

    def texts(self, text: str) -> List[str]:
        return [message.get("text") or "" for message in self.say(text)]

    def tracker(self) -> Dict[str, Any]:
        return get_tracker(self.rasa_url, self.sender, self.session)


def parse_twiml(body: str) -> List[str]:
    """The texts of a TwiML <Response>; fails on anything that is not well-formed TwiML."""
    root = ElementTree.fromstring(body.encode("utf-8"))
    assert root.tag == "Response", root.tag
    texts = []
    for child in root:
        assert child.tag == "Message" and not list(child), ElementTree.tostring(child)
        texts.append(child.text or "")
    return texts


class SmsPhone:
    """One phone number texting the assistant, with correctly signed webhooks."""

    def __init__(self, rasa_url: str, session: Optional[requests.Session] = None) -> None:
        self.rasa_url = rasa_url
        self.session = session or requests.Session()
        self.number = "+1555" + str(uuid.uuid4().int)[:7]

    def post(self, body: Optional[str], **extra: str) -> Tuple[requests.Response, int]:
        """Sends one signed webhook; returns the response and the request body's size."""
        params = {"From": self.number, "To": "+15550100142",
                  "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32,
                  **extra}
        if body is not None:
            params["Body"] = body
        url = self.rasa_url + SMS_PATH
        encoded = urlencode(params).encode("ascii")
        headers = {"X-Twilio-Signature": SIGNER.compute_signature(url, params),
                   "Content-Type": "application/x-www-form-urlencoded"}
        reply = self.session.post(url, data=encoded, headers=headers, timeout=REQUEST_TIMEOUT_S)
        return reply, len(encoded)


async def socketio_converse(rasa_url: str, session_id: str, texts: List[str],
                            reply_timeout_s: float = 30) -> List[List[Dict[str, Any]]]:
    """Sends texts one by one over socket.io like the widget; the replies to each.

    A turn is over when the stored conversation holds its user message and ends with
    action_listen (Rasa saves the tracker once the turn's messages are sent); then
    the messages received so far are that turn's reply, [] when it was silent.
    """
    import aiohttp
    import socketio  # python-socketio's client, as the e2e tests use

    client = socketio.AsyncClient(reconnection=False)
    confirmed = asyncio.Event()
    inbox: List[Dict[str, Any]] = []

    @client.on("session_confirm")
    async def on_confirm(data: Any) -> None:
        confirmed.set()

    @client.on("bot_uttered")
    async def on_reply(data: Any) -> None:
        inbox.append(data)

    async def turn_done(http: aiohttp.ClientSession, users: int) -> bool:
        async with http.get(f"{rasa_url}/conversations/{session_id}/tracker",
                            params={"token": API_TOKEN}) as response:
            if response.status != 200:
                return False
            events = (await response.json()).get("events") or []
        return (sum(1 for e in events if e["event"] == "user") >= users
                and events[-1]["event"] == "action" and events[-1]["name"] == "action_listen")

    await client.connect(rasa_url, socketio_path="/socket.io/", transports=["websocket"])
    try:
        async with aiohttp.ClientSession() as http:
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.wait_for(confirmed.wait(), reply_timeout_s)
            replies = []
            for number, text in enumerate(texts, start=1):
                await client.emit("user_uttered", {"message": text, "session_id": session_id})
                deadline = asyncio.get_running_loop().time() + reply_timeout_s
                while not await turn_done(http, number):
                    assert asyncio.get_running_loop().time() < deadline, f"no end of turn: {text!r}"
                    await asyncio.sleep(0.1)
                await asyncio.sleep(0.15)  # frames already sent are still in flight
                replies.append(list(inbox))
                inbox.clear()
            return replies
    finally:
        await client.disconnect()
