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


def stored_rows(assistant, sender):
    with sqlite3.connect(assistant.tracker_db) as db:
        return db.execute("SELECT type_name, action_name, data FROM events WHERE sender_id = ? "
                          "ORDER BY id", (sender,)).fetchall()


def test_after_a_crisis_erasure_keeps_only_a_note_that_resources_were_shared(assistant, chat):
    """crisis.md rule 5: staff can follow up a flagged crisis; the person is told
    honestly that this note, and nothing they wrote, is kept."""
    assert "988" in chat.texts("I want to kill myself")[0]
    chat.texts("I have tried Zoloft and Prozac, would TMS help me?")
    texts = chat.texts("please delete my data")
    assert "cannot be undone" in texts[0] and "crisis resources were shared" in texts[0]
    texts = chat.texts("yes")
    assert "deleted" in texts[0] and "only a note that crisis resources were shared" in texts[0]

    rows = stored_rows(assistant, chat.sender)
    assert ("slot", "crisis_flagged") in [(type_name, name) for type_name, name, _ in rows]
    assert not any(type_name in ("user", "bot") for type_name, _, _ in rows)
    assert not any("Zoloft" in data or "kill" in data for _, _, data in rows)
    assert chat.tracker()["slots"]["crisis_flagged"] is True
    assert any("cost" in text or "$" in text for text in chat.texts("what does tms cost?")), \
        "the conversation goes on after the erasure"
