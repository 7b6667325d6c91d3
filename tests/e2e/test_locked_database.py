"""A locked SQLite database delays a turn; it never loses it.

While another connection holds the conversation database's write lock (a backup, a
`make purge`, a stuck writer) for longer than SQLite's own 5 s wait, the store
retries (components/conversation_store.py): once the lock is released the waiting
turn is answered and stored, once, and the server goes on answering.
"""

import sqlite3
import threading
import time

LOCK_HELD_S = 8.0  # longer than SQLite's own 5 s wait: one retry of the store too


def test_a_turn_that_waits_for_a_locked_database_is_answered_and_stored(assistant, chat):
    chat.texts("hello")  # the conversation exists, so its next turn must write
    locker = sqlite3.connect(assistant.tracker_db, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    locked_at = time.monotonic()
    release = threading.Timer(LOCK_HELD_S, locker.rollback)
    release.start()
    try:
        texts = chat.texts("what does tms cost?")
    finally:
        release.join()
        locker.close()
    assert time.monotonic() - locked_at >= LOCK_HELD_S * 0.9, "the turn really waited"
    assert any("insurance" in text.lower() or "cost" in text.lower() for text in texts), texts

    events = chat.tracker()["events"]
    said = [event["text"] for event in events if event.get("event") == "user"]
    assert said == ["hello", "what does tms cost?"], "stored once, in order"
    assert chat.texts("thanks"), "the server goes on answering"
