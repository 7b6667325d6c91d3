"""Many conversations at once through nginx: every turn answered, every message stored
exactly once and in order, whichever server took each turn."""

import asyncio
import collections
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

import requests

from tests.cluster.conftest import (
    CHECKLIST, NGINX_PORT, RASA_PORTS, access_log_offset, access_log_since, new_sender, post,
    rasa_url, stored_user_texts,
)

CONVERSATIONS = 50
TURNS = 10


def converse(sender: str) -> Dict[str, Any]:
    """Ten checklist turns through nginx; what went wrong, if anything."""
    session = requests.Session()
    problems: List[str] = []
    for turn, (answer, expected) in enumerate(CHECKLIST[:TURNS]):
        try:
            reply = post(rasa_url(NGINX_PORT), sender, answer, session=session)
        except requests.RequestException as error:
            problems.append(f"turn {turn}: {type(error).__name__}: {error}")
            continue
        if reply.status_code != 200:
            problems.append(f"turn {turn}: HTTP {reply.status_code} {reply.text[:200]}")
            continue
        texts = [message.get("text") or "" for message in reply.json()]
        if not any(texts):
            problems.append(f"turn {turn}: empty reply {reply.json()}")
        elif not any(expected in text for text in texts):
            problems.append(f"turn {turn}: expected {expected!r}, got {texts}")
    return {"sender": sender, "problems": problems}


def test_fifty_concurrent_conversations_are_answered_and_stored_exactly_once(live_cluster):
    senders = [new_sender(f"load{i:02d}") for i in range(CONVERSATIONS)]
    log_offset = access_log_offset(live_cluster)
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        results = list(pool.map(converse, senders))

    problems = {result["sender"]: result["problems"] for result in results if result["problems"]}
    assert not problems, problems

    sent = [answer for answer, _ in CHECKLIST[:TURNS]]
    stored = stored_user_texts(live_cluster, senders)
    wrong = {sender: texts for sender, texts in stored.items() if texts != sent}
    assert not wrong, f"stored user messages differ from what was sent ({sent}): {wrong}"

    # nginx's access log: the turns were shared by both servers (round-robin).
    upstreams = collections.Counter(
        line.split("upstream=")[1].split()[0]
        for line in access_log_since(live_cluster, log_offset)
        if "POST /webhooks/rest/webhook" in line
    )
    assert sum(upstreams.values()) == CONVERSATIONS * TURNS, upstreams
    for port in RASA_PORTS:
        assert upstreams[f"127.0.0.1:{port}"] >= CONVERSATIONS * TURNS * 0.3, upstreams


async def socketio_turns(url: str, session_id: str, transports: List[str]) -> List[List[str]]:
    """Two checklist turns over socket.io, like the widget."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    confirmed, received = asyncio.Event(), asyncio.Event()
    current: List[str] = []

    @client.on("session_confirm")
    async def on_confirm(data: Any) -> None:
        confirmed.set()

    @client.on("bot_uttered")
    async def on_reply(data: Any) -> None:
        current.append(data.get("text") or "")
        received.set()

    await client.connect(url, socketio_path="/socket.io/", transports=transports)
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 30)
        replies = []
        for answer, expected in CHECKLIST[:3]:
            current.clear()
            received.clear()
            await client.emit("user_uttered", {"message": answer, "session_id": session_id})
            await asyncio.wait_for(received.wait(), 30)
            for _ in range(40):  # the rest of the turn's messages
                if any(expected in text for text in current):
                    break
                await asyncio.sleep(0.1)
            replies.append(list(current))
        return replies
    finally:
        await client.disconnect()


def test_socketio_through_nginx_over_websocket_and_long_polling(live_cluster):
    """The sticky upstream: long polling needs every request of a session on one server."""
    for transports in (["websocket"], ["polling"]):
        session_id = new_sender("socketio")
        replies = asyncio.run(socketio_turns(rasa_url(NGINX_PORT), session_id, transports))
        for (answer, expected), texts in zip(CHECKLIST[:3], replies):
            assert any(expected in text for text in texts), (transports, answer, texts)
        assert stored_user_texts(live_cluster, [session_id])[session_id] == [
            answer for answer, _ in CHECKLIST[:3]]
