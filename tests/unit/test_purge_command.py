"""`make purge` as an operator runs it, on SQLite (endpoints.yml's kind) and on
PostgreSQL through endpoints.production.yml with the production environment: old
conversations go, recent ones stay, an opt-out is kept without content, and the
output says what was done where."""

import asyncio
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.conversation_store import ConversationStore

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400
SCRATCH_DATABASE = "tms_purge_test"


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain"))


def sqlite_setup(tmp_path):
    """An endpoints file like endpoints.yml, on a scratch SQLite file."""
    endpoints = tmp_path / "endpoints.yml"
    db = tmp_path / "conversations.db"
    endpoints.write_text(
        "tracker_store:\n"
        "  type: components.conversation_store.ConversationStore\n"
        "  dialect: sqlite\n"
        f"  db: {db}\n"
    )
    return str(endpoints), {}, dict(dialect="sqlite", db=str(db))


def postgresql_setup(_tmp_path):
    """endpoints.production.yml itself, its environment pointing at a scratch database."""
    admin = sa.create_engine("postgresql://127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE}"))
        connection.execute(sa.text(f"CREATE DATABASE {SCRATCH_DATABASE}"))
    admin.dispose()
    env = {
        "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": "5432",
        "TRACKER_DB_NAME": SCRATCH_DATABASE, "TRACKER_DB_USER": os.environ.get("USER", "root"),
        "TRACKER_DB_PASSWORD": "", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379",
        "REDIS_DB": "2", "REDIS_PASSWORD": "", "ACTION_SERVER_URL": "http://localhost:5055/webhook",
    }
    store_args = dict(dialect="postgresql", host="127.0.0.1", port=5432, db=SCRATCH_DATABASE,
                      username=env["TRACKER_DB_USER"])
    return "endpoints.production.yml", env, store_args


def conversation(domain, text, at, slots=()):
    sender = f"purge-{uuid.uuid4().hex[:10]}"
    events = [ActionExecuted("action_listen", timestamp=at),
              UserUttered(text, intent={"name": "greet"}, timestamp=at),
              BotUttered("hello", timestamp=at),
              *(SlotSet(name, value, timestamp=at) for name, value in slots)]
    return DialogueStateTracker.from_events(sender, events, domain.slots)


@pytest.mark.parametrize("setup", [sqlite_setup, postgresql_setup], ids=["sqlite", "postgresql"])
def test_make_purge_deletes_old_conversations_keeps_recent_ones_and_opt_outs(
        setup, domain, tmp_path):
    endpoints, env, store_args = setup(tmp_path)
    store = ConversationStore(domain=domain, **store_args)
    now = time.time()
    old = conversation(domain, "hi from long ago", now - 100 * DAY)
    old_crisis = conversation(domain, "i want to die", now - 95 * DAY, slots=[("crisis_flagged", True)])
    opted_out = conversation(domain, "STOP", now - 120 * DAY, slots=[("sms_opted_out", True)])
    recent = conversation(domain, "hi from last week", now - 7 * DAY)
    for tracker in (old, old_crisis, opted_out, recent):
        asyncio.run(store.save(tracker))

    clean_env = {key: value for key, value in os.environ.items() if not key.startswith("TRACKER_DB_")}
    result = subprocess.run(
        ["make", "--no-print-directory", "purge", f"ENDPOINTS={endpoints}"],
        cwd=ROOT, env={**clean_env, **env}, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    output = result.stdout.strip().splitlines()[-1]
    dialect = store_args["dialect"]
    assert output.startswith(f"Deleted 3 conversation(s) quiet for more than 90 days from {dialect}"), output
    assert "1 opted-out SMS number(s) keep only a content-free record of the opt-out" in output
    assert "password" not in output.lower()

    assert asyncio.run(store.retrieve(old.sender_id)) is None
    assert asyncio.run(store.retrieve(old_crisis.sender_id)) is None
    assert asyncio.run(store.retrieve(recent.sender_id)).latest_message.text == "hi from last week"
    record = asyncio.run(store.retrieve(opted_out.sender_id))
    assert record.get_slot("sms_opted_out") is True and record.latest_message.text is None
    store.engine.dispose()
