"""Health information stays private: erasure on request, no content in logs, locked API."""

import sqlite3
import uuid
from pathlib import Path

import requests

from tests.e2e.conftest import API_TOKEN


def stored_events(assistant, sender):
    with sqlite3.connect(assistant.tracker_db) as db:
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def test_delete_my_data_erases_the_conversation_after_a_confirmation(assistant, chat):
    chat.texts("I have tried Zoloft and Prozac, would TMS help me?")
    assert stored_events(assistant, chat.sender) > 0
    texts = chat.texts("please delete my data")
    assert "cannot be undone" in texts[0]
    assert stored_events(assistant, chat.sender) > 0, "nothing is deleted before the yes"
    texts = chat.texts("yes")
    assert "deleted" in texts[0]
    assert stored_events(assistant, chat.sender) == 0
    events = chat.tracker()["events"]
    assert not any(e.get("text") and "Zoloft" in e["text"] for e in events)


def test_declining_deletion_keeps_the_conversation(assistant, chat):
    chat.texts("what does tms cost?")
    chat.texts("delete my data")
    assert "nothing was deleted" in chat.texts("no")[0].lower()
    assert stored_events(assistant, chat.sender) > 0


def test_what_people_write_never_reaches_the_server_log(assistant, chat):
    secret = f"my neighbour Zelda{uuid.uuid4().hex[:6]} asked if tms hurts"
    chat.texts(secret)
    log = (Path(assistant.log_dir) / "rasa.log").read_text(errors="replace")
    assert secret not in log and chat.sender not in log


def test_the_http_api_needs_the_token(assistant, chat):
    chat.texts("hello")
    url = f"{assistant.rasa_url}/conversations/{chat.sender}/tracker"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, params={"token": "wrong"}, timeout=10).status_code == 401
    assert requests.get(url, params={"token": API_TOKEN}, timeout=10).status_code == 200


def test_cors_allows_only_the_configured_origin(assistant):
    url = f"{assistant.rasa_url}/webhooks/rest/webhook"
    allowed = f"http://localhost:{assistant.web_port}"
    preflight = {"Access-Control-Request-Method": "POST"}
    ok = requests.options(url, headers={"Origin": allowed, **preflight}, timeout=10)
    assert ok.headers.get("Access-Control-Allow-Origin") == allowed
    evil = requests.options(url, headers={"Origin": "https://evil.example", **preflight}, timeout=10)
    assert evil.headers.get("Access-Control-Allow-Origin") in (None, "")
