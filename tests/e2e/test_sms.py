"""SMS over the Twilio webhook, with real signatures, against the running servers.

Every reply of every test here goes through Phone.send, which checks that each SMS
is GSM-7 only and at most 320 characters, shows no command payload of the domain
(nor a '{"' of one with entities) and is not the channel's last-resort reply (what
it sends when a turn raised an exception).
"""

import json
import sqlite3
import uuid
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import parse_qsl

import pytest
import requests
import yaml
from twilio.request_validator import RequestValidator

from channels import twilio_sms
from channels.sms_text import MAX_SMS_CHARS, SEGMENT_CHARS, is_gsm7
from scripts.run_assistant import ROOT, AssistantServers, newest_model
from tests.e2e.conftest import SMS_ENV, TWILIO_TEST_TOKEN

WEBHOOK_PATH = "/webhooks/twilio/webhook"
PUBLIC_BASE_URL = "https://sms.riverbend-tms.example"
SIGNER = RequestValidator(TWILIO_TEST_TOKEN)
HELP_SENTENCE = "Reply STOP to opt out. Msg & data rates may apply."


def command_payloads() -> List[str]:
    """Every button payload of the domain that is a command ("/affirm"); the others
    ("1", "none") are plain words a person may see."""
    found = set()
    for path in (ROOT / "domain").glob("*.yml"):
        for variations in (yaml.safe_load(path.read_text(encoding="utf-8"))
                           .get("responses") or {}).values():
            for variation in variations:
                found.update(button["payload"] for button in variation.get("buttons") or []
                             if button["payload"].startswith("/"))
    assert "/affirm" in found and len(found) > 10, found
    return sorted(found)


NEVER_SHOWN = command_payloads() + ['{"']


class Phone:
    """One mobile number texting the assistant, with correctly signed webhooks."""

    def __init__(self, server_url: str, signed_base: Optional[str] = None) -> None:
        self.server_url = server_url
        self.signed_url = (signed_base or server_url) + WEBHOOK_PATH
        self.number = "+1555" + str(uuid.uuid4().int)[:7]

    def post(self, params: Dict[str, str], signature: Optional[str] = "sign",
             url: Optional[str] = None) -> requests.Response:
        headers = {}
        if signature == "sign":
            headers["X-Twilio-Signature"] = SIGNER.compute_signature(
                url or self.signed_url, params
            )
        elif signature:
            headers["X-Twilio-Signature"] = signature
        return requests.post(self.server_url + WEBHOOK_PATH, data=params,
                             headers=headers, timeout=30)

    def send(self, body: Optional[str], sid: Optional[str] = None, **extra: str) -> List[str]:
        params = {"From": self.number, "To": "+15550100142",
                  "MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32,
                  **extra}
        if body is not None:
            params["Body"] = body
        reply = self.post(params)
        assert reply.status_code == 200, reply.text
        assert reply.headers["Content-Type"].startswith("text/xml")
        texts = [m.text or "" for m in ElementTree.fromstring(reply.text).findall("Message")]
        for text in texts:
            assert is_gsm7(text), f"not GSM-7: {text!r}"
            assert len(text) <= MAX_SMS_CHARS, f"{len(text)} characters: {text!r}"
            shown = [payload for payload in NEVER_SHOWN if payload in text]
            assert not shown, f"{shown} shown to a person: {text!r}"
            assert text != twilio_sms.LAST_RESORT_REPLY, f"the turn failed for {body!r}"
        return texts

    def post_raw(self, body: bytes, content_type: Optional[str],
                 signed_params: Optional[Dict[str, str]] = None) -> requests.Response:
        """Any body, signed as if its form parameters were signed_params."""
        headers = {"Content-Type": content_type} if content_type else {}
        if signed_params is not None:
            headers["X-Twilio-Signature"] = SIGNER.compute_signature(
                self.signed_url, signed_params)
        return requests.post(self.server_url + WEBHOOK_PATH, data=body,
                             headers=headers, timeout=30)


@pytest.fixture
def phone(assistant) -> Phone:
    return Phone(assistant.rasa_url)


def test_a_faq_question_gets_an_sms_answer(phone):
    texts = phone.send("is tms like shock therapy?")
    assert "no anesthesia" in texts[0].lower()


def test_the_checklist_can_be_answered_with_numbered_replies(phone):
    texts = phone.send("am I a candidate?")
    assert texts[-1].endswith("Reply 1 for Yes, 2 for No, 3 for Not sure.")
    assert "antidepressant" in phone.send("1")[-1]          # 1 = Yes: diagnosed
    assert "side effects" in phone.send("2")[-1]            # typed count: 2 medications
    for choice in ["1", "2", "2", "2", "2", "2", "2"]:      # side effects yes, the rest no
        texts = phone.send(choice)
    assert "old are you" in texts[-1]
    texts = phone.send("45")
    assert "good fit" in texts[0]
    assert any("not a diagnosis" in text for text in texts)


def test_a_crisis_message_gets_988_and_911_in_one_segment_first(phone):
    texts = phone.send("i cant do this anymore, i want to kill myself")
    assert "988" in texts[0] and "911" in texts[0]
    assert len(texts[0]) <= SEGMENT_CHARS


def test_stop_silences_the_number_until_start(phone):
    assert phone.send("STOP") == []
    assert phone.send("how much does it cost?") == []
    assert phone.send("start") == []
    assert "cost" in " ".join(phone.send("how much does it cost?")).lower()


@pytest.mark.parametrize("keyword", ["STOPALL", "unsubscribe", "Cancel", "END", "quit"])
def test_every_opt_out_keyword_works(phone, keyword):
    assert phone.send(keyword) == []
    assert phone.send("hello") == []
    phone.send("UNSTOP")
    assert phone.send("hello")


def test_a_crisis_message_is_answered_even_after_stop(phone):
    phone.send("STOP")
    texts = phone.send("I have my pills saved up and tonight is the night")
    assert "988" in texts[0] and "911" in texts[0]


@pytest.mark.parametrize("opted_out", [False, True], ids=["opted in", "opted out"])
@pytest.mark.parametrize("text", ["STOP I want to kill myself", "quit, I want to die"])
def test_a_keyword_inside_a_crisis_message_does_not_swallow_it(phone, text, opted_out):
    if opted_out:
        assert phone.send("STOP") == []
    texts = phone.send(text)
    assert texts and "988" in texts[0] and "911" in texts[0], texts
    assert len(texts[0]) <= SEGMENT_CHARS


def test_help_gives_the_clinic_and_how_to_opt_out(phone):
    text = " ".join(phone.send("HELP"))
    for expected in ["Riverbend TMS Center", "(555) 010-0142", HELP_SENTENCE]:
        assert expected in text


def test_help_gets_no_reply_while_opted_out(phone):
    assert phone.send("STOP") == []
    assert phone.send("HELP") == []
    assert phone.send("START") == []
    assert HELP_SENTENCE in " ".join(phone.send("HELP"))


def test_a_retried_message_gets_the_same_reply_without_a_second_turn(assistant, phone):
    first = phone.send("what are the side effects?", sid="SMretry" + uuid.uuid4().hex)
    sid = "SMretry" + uuid.uuid4().hex
    reply = phone.send("how long is a session?", sid=sid)
    again = phone.send("how long is a session?", sid=sid)
    assert reply == again and reply != first
    tracker = requests.get(
        f"{assistant.rasa_url}/conversations/{_sender_id(phone)}/tracker",
        params={"token": "e2e-test-token"}, timeout=30,
    ).json()
    user_ids = [e["message_id"] for e in tracker["events"] if e["event"] == "user"]
    assert user_ids.count(sid) == 1


def _sender_id(phone: Phone) -> str:
    from channels.twilio_sms import conversation_id
    return conversation_id(phone.number, SMS_ENV["SMS_SENDER_ID_KEY"].encode())


@pytest.mark.parametrize(
    "signature", [None, "", "bm90IGEgc2lnbmF0dXJl"], ids=["missing", "empty", "wrong"]
)
def test_unsigned_or_forged_requests_are_refused(phone, signature):
    reply = phone.post({"From": phone.number, "Body": "hi", "MessageSid": "SMforged"},
                       signature=signature)
    assert reply.status_code == 403


def test_a_request_signed_for_another_url_is_refused(phone):
    params = {"From": phone.number, "Body": "hi", "MessageSid": "SMelsewhere"}
    reply = phone.post(params, url="https://attacker.example" + WEBHOOK_PATH)
    assert reply.status_code == 403


def test_a_signature_over_other_parameters_is_refused(phone):
    params = {"From": phone.number, "Body": "hi", "MessageSid": "SMtampered"}
    signature = SIGNER.compute_signature(phone.signed_url, params)
    reply = phone.post({**params, "Body": "something else"}, signature=signature)
    assert reply.status_code == 403


@pytest.mark.parametrize(
    "body,extra",
    [("", {}), (None, {}), ("x" * 2000, {}), ("😊🙏💙", {}), ("", {"NumMedia": "1"}),
     ("<Response><Message>hi</Message></Response>", {}), ("/affirm", {}),
     ('/inform{"age": 12}', {})],
    ids=["empty body", "no body", "2000 characters", "emoji", "mms without text",
         "twiml in text", "slash command", "slash command with entities"],
)
def test_anything_a_sender_types_gets_a_calm_reply(phone, body, extra):
    texts = phone.send(body, **extra)
    assert texts, "a kind reply, never silence or an error"


def test_mms_without_text_is_told_to_type(phone):
    assert "text" in phone.send("", NumMedia="1")[0].lower()


def test_a_request_without_a_sender_is_a_client_error(phone):
    reply = phone.post({"Body": "hi", "MessageSid": "SMnofrom"})
    assert reply.status_code == 400
    assert reply.text == twilio_sms.MISSING_FROM and "From" in reply.text


def test_a_forged_request_is_told_why(phone):
    reply = phone.post({"From": phone.number, "Body": "hi"}, signature=None)
    assert reply.status_code == 403
    assert reply.text == twilio_sms.BAD_SIGNATURE and "X-Twilio-Signature" in reply.text


FORM = "application/x-www-form-urlencoded"
GARBAGE = b"\x00\xff\xfe\x89PNG\r\n\x1a\n\x80\x81"


@pytest.mark.parametrize("body,content_type", [
    (json.dumps({"From": "+15550100199", "Body": "hi"}).encode(), "application/json"),
    (json.dumps([["From", "+15550100199"], ["Body", "hi"]]).encode(), "application/json"),
    (GARBAGE, "application/octet-stream"),
    (GARBAGE, None),
], ids=["signed json body", "signed list body", "garbage bytes", "no content type"])
def test_anything_but_a_form_is_415_before_the_signature(phone, body, content_type):
    reply = phone.post_raw(body, content_type, signed_params={})
    assert reply.status_code == 415, reply.text
    assert reply.text == twilio_sms.UNSUPPORTED_TYPE and FORM in reply.text


def test_signed_garbage_declared_as_a_form_is_a_client_error(phone):
    params = dict(parse_qsl(GARBAGE.decode("utf-8", "replace"), keep_blank_values=True))
    reply = phone.post_raw(GARBAGE, FORM, signed_params=params)
    assert reply.status_code == 400, reply.text
    assert reply.text == twilio_sms.MISSING_FROM


def test_a_body_over_32_kb_is_413(phone):
    params = {"From": phone.number, "Body": "x" * (32 * 1024), "MessageSid": "SMbig"}
    reply = phone.post(params)
    assert reply.status_code == 413
    assert reply.text == twilio_sms.TOO_LARGE and "32 KB" in reply.text


def test_delete_my_data_by_sms_erases_the_conversation(assistant, phone):
    phone.send("I have tried Zoloft and Prozac, would TMS help me?")
    sender = _sender_id(phone)

    def stored_events() -> int:
        with sqlite3.connect(assistant.tracker_db) as db:
            return db.execute("SELECT count(*) FROM events WHERE sender_id = ?",
                              (sender,)).fetchone()[0]

    assert stored_events() > 0
    texts = phone.send("please delete my data")
    assert "cannot be undone" in texts[0] and "\nReply 1 for Yes, delete it" in texts[-1]
    assert stored_events() > 0, "nothing is deleted before the yes"
    assert "deleted" in phone.send("1")[0]
    assert stored_events() == 0


def test_phone_numbers_never_reach_the_logs(assistant, phone):
    phone.send("hello there")
    phone.send("STOP")
    log = (Path(assistant.log_dir) / "rasa.log").read_text(errors="replace")
    assert phone.number not in log and phone.number[1:] not in log


@pytest.fixture(scope="module")
def proxied_server(assistant, tmp_path_factory):
    """A second Rasa server configured as if behind a proxy at PUBLIC_BASE_URL."""
    servers = AssistantServers(
        model=newest_model(), rasa_port=15006, action_port=assistant.action_port,
        web_port=18081, tracker_db=str(tmp_path_factory.mktemp("proxy") / "db.sqlite"),
        log_dir=str(ROOT / "results" / "e2e-logs-proxy"),
        env={**SMS_ENV, "PUBLIC_BASE_URL": PUBLIC_BASE_URL},
    )
    servers.start_rasa()
    yield servers
    servers.stop()


def test_behind_a_proxy_the_public_url_is_what_is_checked(proxied_server):
    public = Phone(proxied_server.rasa_url, signed_base=PUBLIC_BASE_URL)
    assert "anesthesia" in public.send("is it like ECT?")[0]
    local = Phone(proxied_server.rasa_url)
    params = {"From": local.number, "Body": "hi", "MessageSid": "SMlocal"}
    assert local.post(params).status_code == 403
