"""Only the configured origins (CORS_ORIGINS) may use the chat from a browser.

The e2e servers run with CORS_ORIGINS set to the clinic's site and the demo page.
A browser always sends its page's Origin, on REST preflights and on the socket.io
websocket alike; another site's page must get neither the CORS headers nor a
chat socket.
"""

import asyncio
import uuid

import pytest
import requests
import socketio

from tests.e2e.conftest import CLINIC_SITE

FOREIGN = "https://evil.example"
PREFLIGHT = {"Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type"}


def demo_page(assistant):
    return f"http://localhost:{assistant.web_port}"


def test_rest_preflight_is_allowed_for_listed_origins_only(assistant):
    url = f"{assistant.rasa_url}/webhooks/rest/webhook"
    for listed in (CLINIC_SITE, demo_page(assistant)):
        ok = requests.options(url, headers={"Origin": listed, **PREFLIGHT}, timeout=10)
        assert ok.headers.get("Access-Control-Allow-Origin") == listed
    refused = requests.options(url, headers={"Origin": FOREIGN, **PREFLIGHT}, timeout=10)
    assert refused.headers.get("Access-Control-Allow-Origin") in (None, "")


async def greet_from(url, origin):
    """Opens a chat socket as a page at `origin` would, and says hello."""
    client = socketio.AsyncClient(reconnection=False)
    session_id, replies, got_reply = uuid.uuid4().hex, [], asyncio.Event()

    @client.on("bot_uttered")
    async def on_reply(data):
        replies.append(data)
        got_reply.set()

    await client.connect(url, socketio_path="/socket.io/", transports=["websocket"],
                         headers={"Origin": origin}, wait_timeout=10)
    try:
        await client.emit("session_request", {"session_id": session_id})
        await client.emit("user_uttered", {"message": "hi", "session_id": session_id})
        await asyncio.wait_for(got_reply.wait(), 20)
    finally:
        await client.disconnect()
    return replies


@pytest.mark.parametrize("origin", ["demo page", CLINIC_SITE])
def test_a_listed_origin_gets_a_chat_socket(assistant, origin):
    origin = demo_page(assistant) if origin == "demo page" else origin
    replies = asyncio.run(greet_from(assistant.rasa_url, origin))
    assert "welcome" in replies[0]["text"].lower()


def test_a_foreign_origin_is_refused_a_chat_socket(assistant):
    with pytest.raises(socketio.exceptions.ConnectionError):
        asyncio.run(greet_from(assistant.rasa_url, FOREIGN))
