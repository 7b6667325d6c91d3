"""A locked SQLite database holds up only the turns that must write to it.

While another connection holds the conversation database's write lock (a backup, a
`make purge`, a stuck writer), the store waits in a worker thread, not in the
server's event loop (components/conversation_store.py). So the server keeps
answering: its health check at once, and a crisis message in the web chat gets 988
and 911 while the lock is held (the socket.io channel sends the reply before the
turn is saved). Once the lock is released, the waiting turns are stored.
"""

import asyncio
import sqlite3
import threading
import time
import uuid

import requests

from tests.e2e.test_socketio import converse, user_texts

LOCK_HELD_S = 8.0  # longer than SQLite's own 5 s wait: one retry of the store too


def test_a_locked_database_does_not_stop_the_server_answering(assistant, chat):
    chat.texts("hello")  # the conversation exists, so its next turn must write
    locker = sqlite3.connect(assistant.tracker_db, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    locked_at = time.monotonic()
    release = threading.Timer(LOCK_HELD_S, locker.rollback)
    release.start()
    try:
        waiting = {}
        writer = threading.Thread(target=lambda: waiting.update(texts=chat.texts("what does tms cost?")))
        writer.start()
        time.sleep(0.5)  # that turn is now waiting for the lock

        started = time.monotonic()
        health = requests.get(f"{assistant.rasa_url}/webhooks/rest/", timeout=10)
        assert health.status_code == 200 and time.monotonic() - started < 1.0

        session = uuid.uuid4().hex
        replies = asyncio.run(converse(assistant.rasa_url, session, "I want to kill myself"))
        answered_after = time.monotonic() - locked_at
        assert "988" in replies[0]["text"] and "911" in replies[0]["text"]
        assert answered_after < LOCK_HELD_S - 1, f"answered {answered_after:.1f} s into the lock"
        assert writer.is_alive(), "the other turn is still waiting for the lock"
    finally:
        release.join()
        locker.close()

    writer.join(timeout=30)
    assert waiting.get("texts"), "the waiting turn is answered once the lock is released"
    assert time.monotonic() - locked_at >= LOCK_HELD_S
    assert user_texts(assistant, chat.sender) == ["hello", "what does tms cost?"]
    # The crisis turn's save waited for the lock too; SQLite lets the waiting writers
    # in one after the other.
    deadline = time.monotonic() + 10
    while user_texts(assistant, session) != ["I want to kill myself"]:
        assert time.monotonic() < deadline, "the crisis turn is stored after the lock"
        time.sleep(0.2)
