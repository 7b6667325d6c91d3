"""The tracker store: Rasa's SQL store (SQLite or PostgreSQL) with these additions.

- Transient database errors (SQLite busy, a PostgreSQL restart) are retried a few
  times, with the connection pool reset in between, before Rasa's own fallback
  takes over; so a short outage costs a moment, not a conversation.
- Erasure on request: when the turn ends with `utter_data_deleted` (the person
  asked to delete their data and confirmed), every stored event of that
  conversation is deleted instead of saved.
- delete_inactive() removes conversations quiet for longer than a retention
  period (scripts/purge_conversations.py, `make purge`).

Reading and writing a turn use prepared SQLAlchemy Core statements with the same
meaning as Rasa's ORM queries (the latest conversation session, the events not yet
stored): Rasa builds its ORM queries anew for every turn, which cost more than the
database itself (about 4 ms of a 15 ms turn). The table is Rasa's, unchanged.

On SQLite (the embedded default) the database runs in write-ahead-log mode with
synchronous=NORMAL, over connections that stay open: a committed turn survives the
server being killed, readers (`make purge`, a backup) do not block the server, and
a turn costs no fsync (Rasa's defaults, a rollback journal and a new connection
per query, spent a quarter of a turn's time there). Only a power cut of the
machine can lose the last turns before a checkpoint.
"""

import asyncio
import itertools
import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

ERASE_MARKER_ACTION = "utter_data_deleted"
RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
TRANSIENT_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError)

T = TypeVar("T")


def erasure_confirmed(tracker: DialogueStateTracker) -> bool:
    """True when this turn told the person their conversation is deleted."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == ERASE_MARKER_ACTION:
            return True
    return False


def tune_sqlite_connection(connection: Any, _record: Any) -> None:
    """Sets the WAL journal and NORMAL synchronisation on a new SQLite connection."""
    cursor = connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


class EventStatements:
    """Rasa's event queries as prepared Core statements, bound by :sender_id."""

    def __init__(self, events: sa.Table) -> None:
        sender = events.c.sender_id == sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(sender, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        # Events of the latest session: after the last session_started, or all of them.
        latest_session = sa.and_(
            sender, sa.or_(events.c.timestamp >= session_start, session_start.is_(None))
        )
        self.latest_session = sa.select(events.c.data).where(latest_session).order_by(events.c.id)
        self.all_sessions = sa.select(events.c.data).where(sender).order_by(events.c.id)
        self.count_latest_session = sa.select(sa.func.count()).select_from(events).where(
            latest_session
        )
        self.insert = events.insert()


def event_row(sender_id: Text, event: Event) -> Dict[Text, Any]:
    """The table row Rasa's SQLTrackerStore.save writes for an event."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


class ConversationStore(SQLTrackerStore):
    """SQLTrackerStore that retries transient errors and honours erasure requests."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(
                url, poolclass=sa.pool.QueuePool,
                connect_args={"check_same_thread": False},  # the pool hands them around
            )
            sa.event.listen(self.engine, "connect", tune_sqlite_connection)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.statements = EventStatements(self.SQLEvent.__table__)

    async def _retrying(self, operation: Callable[[], Awaitable[T]], what: str) -> T:
        for attempt, delay in enumerate((*RETRY_DELAYS_S, None), start=1):
            try:
                return await operation()
            except TRANSIENT_ERRORS as error:
                if delay is None:
                    raise
                logger.warning(
                    "Tracker store: %s failed (%s), retry %d in %.1f s",
                    what, type(error).__name__, attempt, delay,
                )
                self.engine.dispose()  # drop connections a restarted server closed
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Saves the new events, or erases the conversation if that was confirmed."""
        if erasure_confirmed(tracker):
            deleted = await self._retrying(
                lambda: self.erase_conversation(tracker.sender_id), "erase"
            )
            logger.info("Conversation erased on request (%d events)", deleted)
            return
        await self._retrying(lambda: self._save_new_events(tracker), "save")

    async def _save_new_events(self, tracker: DialogueStateTracker) -> None:
        """Stores the events of the tracker that are not stored yet (as Rasa's save)."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            stored = session.execute(
                self.statements.count_latest_session, {"sender_id": tracker.sender_id}
            ).scalar()
            rows = [event_row(tracker.sender_id, event)
                    for event in itertools.islice(tracker.events, stored, None)]
            if rows:
                session.execute(self.statements.insert, rows)
            session.commit()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._retrying(
            lambda: super(ConversationStore, self).retrieve(sender_id), "retrieve"
        )

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        return await self._retrying(
            lambda: super(ConversationStore, self).retrieve_full_tracker(conversation_id),
            "retrieve",
        )

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        """The conversation's latest session (or all of it), as Rasa's _retrieve."""
        query = (self.statements.all_sessions if fetch_events_from_all_sessions
                 else self.statements.latest_session)
        with self.session_scope() as session:
            events = [json.loads(data)
                      for (data,) in session.execute(query, {"sender_id": sender_id})]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def erase_conversation(self, sender_id: Text) -> int:
        """Deletes every stored event of one conversation; returns how many."""
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        return deleted

    def delete_inactive(self, older_than_days: float, now: Optional[float] = None) -> int:
        """Deletes conversations whose last event is older than the retention period."""
        cutoff = (now or time.time()) - older_than_days * 86400
        with self.session_scope() as session:
            last_activity = (
                session.query(self.SQLEvent.sender_id)
                .group_by(self.SQLEvent.sender_id)
                .having(sa.func.max(self.SQLEvent.timestamp) < cutoff)
            )
            stale = [sender_id for (sender_id,) in last_activity.all()]
            for start in range(0, len(stale), 500):
                session.query(self.SQLEvent).filter(
                    self.SQLEvent.sender_id.in_(stale[start:start + 500])
                ).delete(synchronize_session=False)
            session.commit()
        return len(stale)


def describe(store: Any) -> str:
    """Which database a store writes to, without credentials (for messages)."""
    engine = getattr(store, "engine", None)
    return engine.url.render_as_string(hide_password=True) if engine is not None else "memory"
