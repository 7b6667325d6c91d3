"""Bad input over REST gets a clear 4xx or a kind reply, never a 5xx."""

import json

import pytest
import requests

from channels.rest import MAX_BODY_BYTES, MAX_MESSAGE_CHARS
from tests.e2e.long_texts import GOODBYE_LETTER, ORDINARY_LONG


def post(assistant, body, content_type="application/json"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(
        f"{assistant.rasa_url}/webhooks/rest/webhook",
        data=data, headers={"Content-Type": content_type}, timeout=30,
    )


@pytest.mark.parametrize(
    "message",
    ["", "   ", "😊🙏💙", "a" * MAX_MESSAGE_CHARS, "<script>alert(1)</script>", "{\"json\": true}"],
    ids=["empty", "blank", "emoji only", "longest allowed", "markup", "json in text"],
)
def test_odd_but_valid_messages_get_a_kind_reply(assistant, message):
    reply = post(assistant, {"sender": "bad-input-odd", "message": message})
    assert reply.status_code == 200
    assert reply.json() and reply.json()[0]["text"]


@pytest.mark.parametrize(
    "body,content_type,status,says",
    [
        ([{"sender": "x", "message": "hi"}], "application/json", 400, "JSON object"),
        ({"message": "hi"}, "application/json", 400, "sender"),
        ({"sender": "", "message": "hi"}, "application/json", 400, "sender"),
        ({"sender": "x"}, "application/json", 400, "message"),
        ({"sender": "x", "message": 42}, "application/json", 400, "message"),
        ("{not json", "application/json", 400, "not valid JSON"),
        ("sender=x&message=hi", "application/x-www-form-urlencoded", 415, "JSON"),
        ({"sender": "x", "message": "a" * (MAX_MESSAGE_CHARS + 1)}, "application/json", 413, "at most"),
        ({"sender": "x" * 500, "message": "hi"}, "application/json", 400, "sender"),
        ({"sender": "x", "message": "a" * (MAX_BODY_BYTES + 1)}, "application/json", 413,
         f"larger than {MAX_BODY_BYTES} bytes"),
    ],
    ids=["list body", "no sender", "empty sender", "no message", "number message",
         "invalid json", "form encoded", "too long", "huge sender", "body over 64 KB"],
)
def test_malformed_requests_get_a_clear_4xx(assistant, body, content_type, status, says):
    reply = post(assistant, body, content_type)
    assert reply.status_code == status
    assert says in reply.json()["error"]


def test_a_long_goodbye_letter_gets_the_crisis_resources(chat):
    """Over the length limit, a crisis still gets the crisis reply first and is flagged."""
    reply = chat.say(GOODBYE_LETTER)
    assert "988" in reply[0]["text"] and "911" in reply[0]["text"]
    assert chat.tracker()["slots"]["crisis_flagged"] is True


def test_a_long_ordinary_message_gets_a_clear_413(assistant, chat):
    reply = post(assistant, {"sender": chat.sender, "message": ORDINARY_LONG})
    assert reply.status_code == 413
    assert "at most 5000 characters" in reply.json()["error"]
    assert "shorter parts" in reply.json()["error"]


def test_the_server_keeps_answering_after_bad_input(assistant):
    post(assistant, [1, 2, 3])
    post(assistant, "{not json")
    reply = post(assistant, {"sender": "bad-input-after", "message": "what are the side effects?"})
    assert reply.status_code == 200
    assert "headache" in reply.json()[0]["text"].lower()
