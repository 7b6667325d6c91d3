"""The conversation store: retention purge and erasure on SQLite and PostgreSQL,
and a locked database that costs a moment instead of a conversation."""

import asyncio
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.conversation_store import ConversationStore

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, domain, tmp_path):
    if request.param == "sqlite":
        return ConversationStore(domain=domain, dialect="sqlite", db=str(tmp_path / "c.db"))
    return ConversationStore(domain=domain, dialect="postgresql", host="127.0.0.1",
                             port=5432, db="test")


def conversation(domain, text, at, erase=False):
    sender = f"test-{uuid.uuid4().hex[:10]}"
    events = [ActionExecuted("action_listen", timestamp=at),
              UserUttered(text, intent={"name": "greet"}, timestamp=at),
              BotUttered("hello", timestamp=at)]
    if erase:
        events += [ActionExecuted("action_listen", timestamp=at),
                   UserUttered("yes", intent={"name": "affirm"}, timestamp=at),
                   ActionExecuted("utter_data_deleted", timestamp=at)]
    return DialogueStateTracker.from_events(sender, events, domain.slots)


def test_purge_deletes_only_conversations_quiet_past_the_retention(store, domain):
    now = time.time()
    old = conversation(domain, "hi from long ago", now - 100 * DAY)
    recent = conversation(domain, "hi from yesterday", now - 1 * DAY)
    for tracker in (old, recent):
        asyncio.run(store.save(tracker))
    store.delete_inactive(90, now=now)
    assert asyncio.run(store.retrieve(old.sender_id)) is None
    assert asyncio.run(store.retrieve(recent.sender_id)) is not None
    asyncio.run(store.erase_conversation(recent.sender_id))


def test_a_confirmed_deletion_erases_instead_of_saving(store, domain):
    other = conversation(domain, "unrelated", time.time())
    first_turn = conversation(domain, "my name is Ann", time.time())
    for tracker in (other, first_turn):
        asyncio.run(store.save(tracker))
    erasing = conversation(domain, "my name is Ann", time.time(), erase=True)
    erasing.sender_id = first_turn.sender_id
    asyncio.run(store.save(erasing))
    assert asyncio.run(store.retrieve(first_turn.sender_id)) is None
    assert asyncio.run(store.retrieve(other.sender_id)) is not None, "only that conversation"
    asyncio.run(store.erase_conversation(other.sender_id))


def test_a_locked_sqlite_database_is_waited_out(domain, tmp_path):
    path = tmp_path / "locked.db"
    store = ConversationStore(domain=domain, dialect="sqlite", db=str(path))
    locker = sqlite3.connect(str(path), check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    threading.Timer(6.0, locker.rollback).start()  # longer than SQLite's own 5 s wait
    tracker = conversation(domain, "are you there?", time.time())
    asyncio.run(store.save(tracker))
    saved = asyncio.run(store.retrieve(tracker.sender_id))
    assert saved is not None and saved.latest_message.text == "are you there?"
