"""The web chat's socket.io channel: replies arrive, and a reload keeps the conversation."""

import asyncio
import uuid

import socketio

from tests.e2e.conftest import API_TOKEN
from tests.e2e.long_texts import GOODBYE_LETTER, ORDINARY_LONG
from tests.e2e.test_privacy import stored_events

import requests

REPLY_TIMEOUT_S = 20


async def converse(url, session_id, text):
    """Connects like the widget does, sends one message and collects the replies."""
    client = socketio.AsyncClient(reconnection=False)
    replies, confirmed = [], asyncio.Event()
    got_reply = asyncio.Event()

    @client.on("session_confirm")
    async def on_confirm(data):
        confirmed.set()

    @client.on("bot_uttered")
    async def on_reply(data):
        replies.append(data)
        got_reply.set()

    await client.connect(url, socketio_path="/socket.io/", transports=["websocket"])
    await client.emit("session_request", {"session_id": session_id})
    await asyncio.wait_for(confirmed.wait(), REPLY_TIMEOUT_S)
    await client.emit("user_uttered", {"message": text, "session_id": session_id})
    await asyncio.wait_for(got_reply.wait(), REPLY_TIMEOUT_S)
    await asyncio.sleep(1.0)  # let the rest of the reply arrive
    await client.disconnect()
    return replies


def tracker(assistant, session_id):
    return requests.get(
        f"{assistant.rasa_url}/conversations/{session_id}/tracker",
        params={"token": API_TOKEN}, timeout=30,
    ).json()


def user_texts(assistant, session_id):
    return [event["text"] for event in tracker(assistant, session_id)["events"]
            if event["event"] == "user"]


def test_a_reply_reaches_the_browser_and_a_reload_keeps_the_conversation(assistant):
    session_id = uuid.uuid4().hex
    first = asyncio.run(converse(assistant.rasa_url, session_id, "hi"))
    assert "welcome" in first[0]["text"].lower()
    assert [button["title"] for button in first[0]["quick_replies"]], "quick replies are sent"

    # A page reload opens a new socket with the same stored session id.
    second = asyncio.run(converse(assistant.rasa_url, session_id, "is it like ECT?"))
    assert "anesthesia" in second[0]["text"]
    assert user_texts(assistant, session_id) == ["hi", "is it like ECT?"]


def test_another_visitor_gets_a_separate_conversation(assistant):
    mine, theirs = uuid.uuid4().hex, uuid.uuid4().hex
    asyncio.run(converse(assistant.rasa_url, mine, "what does tms cost?"))
    asyncio.run(converse(assistant.rasa_url, theirs, "hello"))
    assert user_texts(assistant, mine) == ["what does tms cost?"]
    assert user_texts(assistant, theirs) == ["hello"]


def test_a_crisis_message_over_socketio_gets_the_resources_first(assistant):
    replies = asyncio.run(converse(assistant.rasa_url, uuid.uuid4().hex, "i want to end my life"))
    assert "988" in replies[0]["text"] and "911" in replies[0]["text"]


def test_a_long_goodbye_letter_over_socketio_gets_the_crisis_resources(assistant):
    """Over the length limit, a crisis still gets the crisis reply first and is flagged."""
    session_id = uuid.uuid4().hex
    replies = asyncio.run(converse(assistant.rasa_url, session_id, GOODBYE_LETTER))
    assert "988" in replies[0]["text"] and "911" in replies[0]["text"]
    assert tracker(assistant, session_id)["slots"]["crisis_flagged"] is True


def test_a_long_ordinary_message_over_socketio_gets_a_kind_answer(assistant):
    session_id = uuid.uuid4().hex
    replies = asyncio.run(converse(assistant.rasa_url, session_id, ORDINARY_LONG))
    assert len(replies) == 1
    assert "shorter parts" in replies[0]["text"] and "988" in replies[0]["text"]
    assert user_texts(assistant, session_id) == [], "nothing of it is stored"
    assert tracker(assistant, session_id)["slots"]["crisis_flagged"] is False


async def send_raw(url, events):
    """Emits raw events the way a broken or hostile client might."""
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, socketio_path="/socket.io/", transports=["websocket"])
    for event, data in events:
        await client.emit(event, data)
    await asyncio.sleep(0.5)
    await client.disconnect()


def test_malformed_socket_events_are_dropped_and_the_server_keeps_answering(assistant):
    asyncio.run(send_raw(assistant.rasa_url, [
        ("user_uttered", ["not", "a", "dict"]),
        ("user_uttered", {"message": 42, "session_id": "x"}),
        ("user_uttered", {"message": "hi"}),
        ("user_uttered", {"message": "x" * 100_000, "session_id": "y"}),
        ("session_request", "garbage"),
    ]))
    replies = asyncio.run(converse(assistant.rasa_url, uuid.uuid4().hex, "what are the side effects"))
    assert "headache" in replies[0]["text"].lower()


def test_a_typed_command_cannot_skip_crisis_detection(assistant):
    session_id = uuid.uuid4().hex
    replies = asyncio.run(converse(
        assistant.rasa_url, session_id, '/ask_cost{"note": "I want to kill myself"}'
    ))
    assert "988" in replies[0]["text"] and "911" in replies[0]["text"]


def test_delete_my_data_over_socketio_erases_the_conversation_after_a_confirmation(assistant):
    session_id = uuid.uuid4().hex
    asyncio.run(converse(assistant.rasa_url, session_id, "I have tried Zoloft and Prozac, would TMS help me?"))
    assert stored_events(assistant, session_id) > 0
    asking = asyncio.run(converse(assistant.rasa_url, session_id, "delete my data"))
    assert "cannot be undone" in asking[0]["text"]
    yes = next(button["payload"] for button in asking[0]["quick_replies"]
               if button["title"].startswith("Yes"))
    assert stored_events(assistant, session_id) > 0, "nothing is deleted before the yes"
    done = asyncio.run(converse(assistant.rasa_url, session_id, yes))  # the widget's button
    assert "deleted" in done[0]["text"]
    assert stored_events(assistant, session_id) == 0
    assert "Zoloft" not in str(tracker(assistant, session_id)["events"])
