"""The conversation store: retention purge and erasure on SQLite and PostgreSQL (with
the opt-out and crisis records that must outlive the content), a locked database
that costs a moment instead of a conversation, and an unreachable one that is never
taken for a new conversation."""

import asyncio
import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.conversation_store import ConversationStore, TrackerStoreUnavailable

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


def conversation(domain, text, at, erase=False, slots=()):
    sender = f"test-{uuid.uuid4().hex[:10]}"
    events = [ActionExecuted("action_listen", timestamp=at),
              UserUttered(text, intent={"name": "greet"}, timestamp=at),
              BotUttered("hello", timestamp=at)]
    events += [SlotSet(name, value, timestamp=at) for name, value in slots]
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


def stored_texts(store, sender):
    """Everything of a conversation a person wrote or was told, as stored."""
    return [row[4].get("text") for row in stored_rows(store, sender) if row[4].get("text")]


def test_the_purge_keeps_an_opt_out_but_nothing_else_of_the_conversation(store, domain):
    """A number that sent STOP is quiet by definition; after the retention period its
    conversation goes, and the opt-out stays so that nothing is sent until START."""
    now = time.time()
    opted_out = conversation(domain, "STOP, and my number is on file", now - 100 * DAY,
                             slots=[("age", 40), ("sms_opted_out", True)])
    opted_in_again = conversation(domain, "START", now - 100 * DAY,
                                  slots=[("sms_opted_out", True), ("sms_opted_out", False)])
    crisis = conversation(domain, "i want to end it", now - 100 * DAY,
                          slots=[("crisis_flagged", True)])
    for tracker in (opted_out, opted_in_again, crisis):
        asyncio.run(store.save(tracker))

    purged = store.delete_inactive(90, now=now)
    assert purged.opt_outs_kept >= 1
    kept = asyncio.run(store.retrieve(opted_out.sender_id))
    assert kept.get_slot("sms_opted_out") is True
    assert kept.get_slot("age") is None and stored_texts(store, opted_out.sender_id) == []
    assert asyncio.run(store.retrieve(opted_in_again.sender_id)) is None
    assert asyncio.run(store.retrieve(crisis.sender_id)) is None, "the crisis flag follows the retention"

    # Later purges leave the record as it is, however old it gets.
    rows = stored_rows(store, opted_out.sender_id)
    store.delete_inactive(90, now=now + 200 * DAY)
    assert stored_rows(store, opted_out.sender_id) == rows
    asyncio.run(store.erase_conversation(opted_out.sender_id))


def test_erasing_after_a_crisis_keeps_only_the_note_that_one_was_flagged(store, domain):
    """crisis.md rule 5: staff can follow up; nothing the person wrote or answered stays."""
    now = time.time()
    flagged = conversation(domain, "i took all my pills", now,
                           slots=[("crisis_flagged", True), ("age", 40)])
    asyncio.run(store.save(flagged))
    erasing = conversation(domain, "i took all my pills", now, erase=True,
                           slots=[("crisis_flagged", True), ("age", 40)])
    erasing.sender_id = flagged.sender_id
    asyncio.run(store.save(erasing))

    kept = asyncio.run(store.retrieve(flagged.sender_id))
    assert kept.get_slot("crisis_flagged") is True
    assert kept.get_slot("age") is None and kept.get_slot("sms_opted_out") is False
    assert stored_texts(store, flagged.sender_id) == []
    assert not any(row[0] == "user" for row in stored_rows(store, flagged.sender_id))
    # The note follows the retention from the day of the erasure.
    store.delete_inactive(90, now=now + 91 * DAY)
    assert asyncio.run(store.retrieve(flagged.sender_id)) is None


def test_erasing_an_opted_out_conversation_keeps_the_opt_out(store, domain):
    now = time.time()
    erasing = conversation(domain, "delete my data", now, erase=True,
                           slots=[("sms_opted_out", True)])
    asyncio.run(store.save(erasing))
    kept = asyncio.run(store.retrieve(erasing.sender_id))
    assert kept.get_slot("sms_opted_out") is True and kept.get_slot("crisis_flagged") is False
    assert stored_texts(store, erasing.sender_id) == []
    asyncio.run(store.erase_conversation(erasing.sender_id))


def test_an_unreachable_database_is_never_taken_for_a_new_conversation(domain, monkeypatch):
    """After the retries the store says the database is away, through Rasa's fail-safe
    wrapper too, instead of answering as if the conversation did not exist and keeping
    the turn in memory only."""
    monkeypatch.setattr("components.conversation_store.RETRY_DELAYS_S", (0.05, 0.05))
    store = ConversationStore(domain=domain, dialect="postgresql", host="127.0.0.1",
                              port=5432, db="test")
    tracker = conversation(domain, "is it covered by insurance?", time.time())
    asyncio.run(store.save(tracker))
    store.engine = sa.create_engine("postgresql://127.0.0.1:9/test")  # nothing listens there
    store.sessionmaker = sa.orm.sessionmaker(bind=store.engine)
    wrapped = FailSafeTrackerStore(store)  # as Rasa's Agent wraps every tracker store
    for call in (lambda: wrapped.retrieve(tracker.sender_id),
                 lambda: wrapped.get_or_create_tracker(tracker.sender_id),
                 lambda: wrapped.save(tracker)):
        with pytest.raises(TrackerStoreUnavailable):
            asyncio.run(call())
    assert list(asyncio.run(wrapped.fallback_tracker_store.keys())) == [], "nothing kept in memory"


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


def test_a_reader_of_the_sqlite_database_does_not_hold_up_the_assistant(domain, tmp_path):
    """A backup or `make purge` reading the database while a turn is saved (WAL mode)."""
    path = tmp_path / "shared.db"
    store = ConversationStore(domain=domain, dialect="sqlite", db=str(path))
    asyncio.run(store.save(conversation(domain, "first", time.time())))
    reader = sqlite3.connect(str(path), timeout=0)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM events").fetchone()[0] > 0  # holds a read lock
    started = time.monotonic()
    tracker = conversation(domain, "second", time.time())
    asyncio.run(store.save(tracker))
    waited = time.monotonic() - started
    reader.rollback()
    assert waited < 2.0, f"the save waited {waited:.1f} s for the reader"
    assert asyncio.run(store.retrieve(tracker.sender_id)).latest_message.text == "second"


def two_sessions(start):
    """The events of a conversation of two sessions, turn by turn."""
    from rasa.shared.core.events import SessionStarted, SlotSet

    now = start
    for session in range(2):
        now += 1
        yield [SessionStarted(timestamp=now), ActionExecuted("action_listen", timestamp=now)]
        for turn in range(3):
            now += 1
            text = f"question {session}.{turn}"
            yield [
                UserUttered(text, intent={"name": "ask_cost", "confidence": 0.9},
                            parse_data={"intent": {"name": "ask_cost", "confidence": 0.9},
                                        "text": text}, timestamp=now),
                SlotSet("age", 40 + turn, timestamp=now),
                ActionExecuted("utter_cost", timestamp=now),
                BotUttered("it costs...", {"buttons": [{"title": "Yes", "payload": "/affirm"}]},
                           timestamp=now),
                ActionExecuted("action_listen", timestamp=now),
            ]


def converse(store, domain, sender, start):
    """Each turn as Rasa's processor does it: retrieve, add the turn's events, save."""
    for events in two_sessions(start):
        tracker = asyncio.run(store.retrieve(sender)) or DialogueStateTracker(sender, domain.slots)
        for event in events:
            tracker.update(event)
        asyncio.run(store.save(tracker))


def stored_rows(store, sender):
    with store.session_scope() as session:
        rows = session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender) \
            .order_by(store.SQLEvent.id).all()
        return [(r.type_name, r.timestamp, r.intent_name, r.action_name, json.loads(r.data))
                for r in rows]


def test_turns_are_stored_and_read_back_exactly_as_rasa_does(store, domain):
    """Our prepared statements and Rasa's own store write the same rows and read the
    same conversation, both ways, on SQLite and PostgreSQL."""
    from rasa.core.tracker_store import SQLTrackerStore

    url = store.engine.url
    rasa_store = SQLTrackerStore(domain=domain, dialect=url.get_backend_name(),
                                 host=url.host, port=url.port, db=url.database)
    ours, theirs = f"ours-{uuid.uuid4().hex[:8]}", f"rasa-{uuid.uuid4().hex[:8]}"
    start = time.time() - 1000
    converse(store, domain, ours, start)
    converse(rasa_store, domain, theirs, start)
    assert stored_rows(store, ours) == stored_rows(store, theirs)
    assert len(stored_rows(store, ours)) == 2 * (2 + 3 * 5)

    for reader in (store, rasa_store):
        for sender in (ours, theirs):
            latest = asyncio.run(reader.retrieve(sender))
            full = asyncio.run(reader.retrieve_full_tracker(sender))
            assert [e.as_dict() for e in latest.events] == \
                [e.as_dict() for e in asyncio.run(rasa_store.retrieve(theirs)).events]
            assert len(full.events) == 2 * (2 + 3 * 5) and len(latest.events) == 2 + 3 * 5
            assert latest.get_slot("age") == 42
    assert asyncio.run(store.retrieve("nobody-" + uuid.uuid4().hex)) is None


def test_an_erased_conversation_does_not_linger_in_the_sqlite_file(domain, tmp_path):
    """secure_delete: the deleted rows are overwritten, not left in free pages."""
    path = tmp_path / "erased.db"
    store = ConversationStore(domain=domain, dialect="sqlite", db=str(path))
    secret = f"my name is Zelda{uuid.uuid4().hex[:8]} and I take lithium"
    tracker = conversation(domain, secret, time.time())
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(conversation(domain, "another visitor", time.time())))
    asyncio.run(store.erase_conversation(tracker.sender_id))
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    for file in tmp_path.glob("erased.db*"):
        assert secret.encode() not in file.read_bytes(), file.name
