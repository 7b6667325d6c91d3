"""The SMS channel's decisions, with a stand-in for the agent (no model, no server).

What a clinic would notice: the channel refuses to start without an auth token unless
the development flag is set (and says so loudly); with a token, signatures are
checked even when the flag is on; malformed requests are refused with a clear
message before anything else; an opted-out number gets nothing, HELP included, but
a crisis message is still answered; and a retry of a message that another server is
still handling does not become a second turn.

The stand-in agent keeps conversations in Rasa's in-memory tracker and lock stores
and answers each turn with "answer to <text>", or the crisis resources for a
message containing "kill myself".
"""

import asyncio
import json
import logging
from types import SimpleNamespace
from typing import Dict, List, Optional
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from multidict import CIMultiDict
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from twilio.request_validator import RequestValidator

from channels import twilio_sms
from channels.twilio_sms import TwilioChannelConfigError, TwilioSettings, TwilioSmsInput

URL = "http://localhost:5005/webhooks/twilio/webhook"
TOKEN = "unit-test-auth-token"
NUMBER = "+15550001111"
HELP_TEXT = "Riverbend TMS assistant. Reply STOP to opt out. Msg & data rates may apply."
CRISIS_TEXT = "Please call or text 988 now. In danger? Call 911."
DOMAIN = Domain.from_dict({"slots": {twilio_sms.OPTED_OUT_SLOT: {
    "type": "bool", "initial_value": False, "influence_conversation": False,
    "mappings": [{"type": "custom"}]}}})


class StandInProcessor:
    """Runs a turn like Rasa's processor: user event, bot reply, tracker saved."""

    def __init__(self, agent: "StandInAgent", turn_seconds: float) -> None:
        self.agent = agent
        self.turn_seconds = turn_seconds
        self.turns: List[str] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.turns.append(message.text)
        await asyncio.sleep(self.turn_seconds)  # long enough for a retry to arrive
        tracker = await self.agent.tracker_store.get_or_create_tracker(message.sender_id)
        reply = CRISIS_TEXT if "kill myself" in message.text else f"answer to {message.text}"
        tracker.update(UserUttered(message.text, message_id=message.message_id))
        tracker.update(BotUttered(reply))
        tracker.update(ActionExecuted("action_listen"))
        await self.agent.tracker_store.save(tracker)
        await message.output_channel.send_text_message(message.sender_id, reply)


class StandInAgent:
    """What the channel uses of Rasa's Agent."""

    def __init__(self, turn_seconds: float = 0.0) -> None:
        self.tracker_store = InMemoryTrackerStore(DOMAIN)
        self.lock_store = InMemoryLockStore()
        self.processor = StandInProcessor(self, turn_seconds)
        self.nlg = SimpleNamespace(generate=self._generate)

    def is_ready(self) -> bool:
        return True

    async def parse_message(self, text: str) -> Dict:
        return {"intent": {"name": "crisis" if "kill myself" in text else "other"}}

    async def _generate(self, name: str, tracker, channel: str) -> Optional[Dict]:
        return {"text": HELP_TEXT} if name == "utter_sms_help" else {"text": name}


def request(agent: StandInAgent, body: bytes, content_type: str,
            signature: Optional[str] = None) -> SimpleNamespace:
    headers = CIMultiDict({"Content-Type": content_type})
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return SimpleNamespace(body=body, headers=headers, url=URL,
                           path="/webhooks/twilio/webhook", query_string="",
                           app=SimpleNamespace(ctx=SimpleNamespace(agent=agent)))


def signed_form(agent: StandInAgent, params: Dict[str, str], token: str = TOKEN):
    signature = RequestValidator(token).compute_signature(URL, params)
    return request(agent, urlencode(params).encode(), "application/x-www-form-urlencoded",
                   signature)


def texts_of(reply) -> List[str]:
    assert reply.status == 200, reply.body
    return [m.text or "" for m in ElementTree.fromstring(reply.body).findall("Message")]


def channel(monkeypatch, token: str = TOKEN, allow_unsigned: bool = False) -> TwilioSmsInput:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", token)
    monkeypatch.setenv("TWILIO_ALLOW_UNSIGNED", "true" if allow_unsigned else "")
    monkeypatch.setenv("SMS_SENDER_ID_KEY", "unit-sender-key")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    return TwilioSmsInput.from_credentials(None)


class Phone:
    """One number texting one channel, with signed requests."""

    def __init__(self, sms: TwilioSmsInput, agent: StandInAgent) -> None:
        self.sms, self.agent, self.count = sms, agent, 0

    def params(self, body: str, sid: Optional[str] = None) -> Dict[str, str]:
        self.count += 1
        return {"From": NUMBER, "To": "+15550100142", "Body": body,
                "MessageSid": sid or f"SM{self.count:032d}"}

    def send(self, body: str) -> List[str]:
        reply = asyncio.run(self.sms.receive(signed_form(self.agent, self.params(body))))
        return texts_of(reply)


# -- 1. no token, no start ----------------------------------------------------------------

def test_without_a_token_the_channel_refuses_to_start(monkeypatch):
    with pytest.raises(TwilioChannelConfigError) as refused:
        channel(monkeypatch, token="")
    message = str(refused.value)
    assert "TWILIO_AUTH_TOKEN is not set" in message
    assert "refuses to start" in message and "TWILIO_ALLOW_UNSIGNED=true" in message


def test_the_development_flag_starts_it_with_a_loud_warning(monkeypatch, caplog):
    with caplog.at_level(logging.WARNING, logger=twilio_sms.__name__):
        sms = channel(monkeypatch, token="", allow_unsigned=True)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("UNSIGNED" in w and "never in production" in w for w in warnings), warnings
    agent = StandInAgent()
    unsigned = request(agent, urlencode({"From": NUMBER, "Body": "hi"}).encode(),
                       "application/x-www-form-urlencoded")
    assert texts_of(asyncio.run(sms.receive(unsigned))) == ["answer to hi"]


@pytest.mark.parametrize("signature", [None, "bm90IGEgc2lnbmF0dXJl"], ids=["missing", "wrong"])
def test_with_a_token_the_flag_does_not_turn_signatures_off(monkeypatch, signature):
    sms = channel(monkeypatch, allow_unsigned=True)
    agent = StandInAgent()
    forged = request(agent, urlencode({"From": NUMBER, "Body": "hi"}).encode(),
                     "application/x-www-form-urlencoded", signature)
    reply = asyncio.run(sms.receive(forged))
    assert reply.status == 403 and reply.body.decode() == twilio_sms.BAD_SIGNATURE
    assert agent.processor.turns == [], "a forged request reached the assistant"
    signed = signed_form(agent, {"From": NUMBER, "Body": "hi"})
    assert texts_of(asyncio.run(sms.receive(signed))) == ["answer to hi"]


# -- 4. malformed requests: clear refusals, content type before the signature ------------

@pytest.mark.parametrize("content_type,body", [
    ("application/json", json.dumps({"From": NUMBER, "Body": "hi"}).encode()),
    ("application/json", b'[["From", "+15550001111"]]'),
    ("multipart/form-data; boundary=x",
     b'--x\r\nContent-Disposition: form-data; name="From"\r\n\r\n+15550001111\r\n--x--\r\n'),
    ("text/plain", b"From=+15550001111&Body=hi"),
    ("", b"\x00\xff\xfe garbage"),
], ids=["json", "json list", "multipart", "text", "no content type"])
def test_anything_but_a_form_is_415_even_unsigned(monkeypatch, content_type, body):
    sms = channel(monkeypatch)
    agent = StandInAgent()
    reply = asyncio.run(sms.receive(request(agent, body, content_type)))
    assert reply.status == 415
    assert "application/x-www-form-urlencoded" in reply.body.decode()
    assert agent.processor.turns == []


def test_a_form_with_a_charset_is_a_form(monkeypatch):
    sms = channel(monkeypatch)
    agent = StandInAgent()
    params = {"From": NUMBER, "Body": "hi"}
    signed = signed_form(agent, params)
    signed.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
    assert texts_of(asyncio.run(sms.receive(signed))) == ["answer to hi"]


def test_over_32_kb_is_413_and_no_sender_is_400(monkeypatch):
    sms = channel(monkeypatch)
    agent = StandInAgent()
    big = signed_form(agent, {"From": NUMBER, "Body": "x" * (32 * 1024)})
    reply = asyncio.run(sms.receive(big))
    assert reply.status == 413 and "32 KB" in reply.body.decode()
    reply = asyncio.run(sms.receive(signed_form(agent, {"Body": "hi"})))
    assert reply.status == 400 and "From" in reply.body.decode()
    assert agent.processor.turns == []


# -- 2. opted out: nothing is sent, HELP included; a crisis still is ----------------------

def test_an_opted_out_number_gets_no_help_reply_until_start(monkeypatch):
    agent = StandInAgent()
    phone = Phone(channel(monkeypatch), agent)
    assert phone.send("HELP") == [HELP_TEXT]
    assert phone.send("STOP") == []
    assert phone.send("HELP") == []
    assert phone.send("info") == []
    assert phone.send("what does it cost?") == []
    assert phone.send("START") == []
    assert phone.send("HELP") == [HELP_TEXT]
    assert agent.processor.turns == []


@pytest.mark.parametrize("text", ["STOP I want to kill myself", "I want to kill myself"])
def test_an_opted_out_number_still_gets_the_crisis_reply(monkeypatch, text):
    agent = StandInAgent()
    phone = Phone(channel(monkeypatch), agent)
    phone.send("STOP")
    assert phone.send(text) == [CRISIS_TEXT]


# -- 3. a retry on another server while the first is still running -------------------------

def test_a_retry_reaching_another_server_mid_turn_is_not_a_second_turn(monkeypatch):
    agent = StandInAgent(turn_seconds=0.3)  # shared stores, as with PostgreSQL and Redis
    first_server, second_server = channel(monkeypatch), channel(monkeypatch)
    params = Phone(first_server, agent).params("how long is a session?", sid="SM" + "7" * 32)

    async def both() -> List:
        first = asyncio.ensure_future(first_server.receive(signed_form(agent, params)))
        await asyncio.sleep(0.05)  # the first server is inside its turn
        retry = asyncio.ensure_future(second_server.receive(signed_form(agent, params)))
        return await asyncio.gather(first, retry)

    first, retry = asyncio.run(both())
    assert texts_of(first) == texts_of(retry) == ["answer to how long is a session?"]
    assert agent.processor.turns == ["how long is a session?"], "the retry ran a second turn"


# -- `make run` without a token: a local development token ---------------------------------

def test_make_run_without_a_token_gives_the_servers_a_private_development_token(
        tmp_path, monkeypatch):
    from scripts import run_assistant
    monkeypatch.setattr(run_assistant, "ROOT", tmp_path)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("TWILIO_ALLOW_UNSIGNED", raising=False)
    first = run_assistant.AssistantServers(model="m.tar.gz")
    second = run_assistant.AssistantServers(model="m.tar.gz", rasa_port=5006)
    token_file = tmp_path / "var" / "twilio-dev-token"
    token = first.env["TWILIO_AUTH_TOKEN"]
    assert len(token) >= 32 and token_file.read_text().strip() == token
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert second.env["TWILIO_AUTH_TOKEN"] == token, "made once, shared by every server"
    assert "signed with the local development token" in run_assistant.sms_token_note({})
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", token)
    assert TwilioSmsInput.from_credentials(None).validator is not None, "the channel starts"


@pytest.mark.parametrize("env", [{"TWILIO_AUTH_TOKEN": "real-token"},
                                 {"TWILIO_ALLOW_UNSIGNED": "true"}], ids=["token", "flag"])
def test_a_configured_token_or_the_flag_is_left_alone(tmp_path, monkeypatch, env):
    from scripts import run_assistant
    monkeypatch.setattr(run_assistant, "ROOT", tmp_path)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("TWILIO_ALLOW_UNSIGNED", raising=False)
    servers = run_assistant.AssistantServers(model="m.tar.gz", env=dict(env))
    assert servers.env == env
    assert not (tmp_path / "var" / "twilio-dev-token").exists()
    assert run_assistant.sms_token_note(env) == ""
