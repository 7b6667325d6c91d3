"""The tracker store: Rasa's SQL store (SQLite or PostgreSQL) with these additions.

- Transient database errors (SQLite busy, a PostgreSQL restart) are retried a few
  times, with the connection pool reset in between; so a short outage costs a
  moment, not a conversation. When the database is still away after the retries,
  the store raises TrackerStoreUnavailable, and Rasa's FailSafeTrackerStore (the
  Agent wraps every tracker store in it) lets that error through instead of
  starting a fresh conversation or saving the turn in memory only: the channels
  answer with an apology that gives 988 and 911 (channels/store_outage.py).
- The database work runs on the event loop. Tried in a worker thread (so that a
  locked SQLite file would hold up only its own turns), it made the 300 s soak's
  median turn 2.6 times slower (103 ms against 39 ms, the loop fighting the thread
  for the GIL while events are decoded), with reads alone on the loop still 59 ms
  over 120 s: so a turn waiting for SQLite's write lock (another process holding
  it) waits for every conversation, up to SQLite's 5 s per attempt, and is then
  stored. PostgreSQL, the production store, has no such file lock.
- Erasure on request: when the turn ends with `utter_data_deleted` (the person
  asked to delete their data and confirmed), every stored event of that
  conversation is deleted instead of saved. What must outlive the content stays
  as a content-free record (no text, no answers): an SMS opt-out, so nothing is
  sent until START, and that a crisis was flagged, so staff can follow up.
- delete_inactive() removes conversations quiet for longer than a retention
  period (scripts/purge_conversations.py, `make purge`). An opted-out number keeps
  its opt-out as a content-free record; the crisis flag follows the retention
  like everything else.

Reading and writing a turn use prepared SQLAlchemy Core statements with the same
meaning as Rasa's ORM queries (the latest conversation session, the events not yet
stored): Rasa builds its ORM queries anew for every turn, which cost more than the
database itself (about 4 ms of a 15 ms turn). The table is Rasa's, unchanged.

On SQLite (the embedded default) the database runs in write-ahead-log mode with
synchronous=NORMAL, over connections that stay open: a committed turn survives the
server being killed, readers (`make purge`, a backup) do not block the server, and
a turn costs no fsync (Rasa's defaults, a rollback journal and a new connection
per query, spent a quarter of a turn's time there). Only a power cut of the
machine can lose the last turns before a checkpoint. secure_delete overwrites
erased rows, so a deleted conversation does not linger in the file's free pages.
"""

import asyncio
import itertools
import json
import logging
import time
from typing import (
    Any, Awaitable, Callable, Dict, Iterable, List, NamedTuple, Optional, Set, Text, TypeVar,
)

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import (
    ActionExecuted, Event, SessionStarted, SlotSet, UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

ERASE_MARKER_ACTION = "utter_data_deleted"
RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA secure_delete=ON",
)
TRANSIENT_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError)
OPT_OUT_SLOT = "sms_opted_out"  # domain/sms.yml
CRISIS_SLOT = "crisis_flagged"  # domain/crisis.yml
PURGE_BATCH = 500

T = TypeVar("T")


class TrackerStoreUnavailable(Exception):
    """The conversation could not be read or saved, even after the retries."""


def _let_outages_through(rasa_handler: Callable[[Any, Exception], None]) -> Callable:
    def handler(fail_safe: Any, error: Exception) -> None:
        if isinstance(error, TrackerStoreUnavailable):
            raise error
        rasa_handler(fail_safe, error)
    return handler


# Rasa's FailSafeTrackerStore turns a failed retrieve into "no conversation yet" and
# saves a failed turn in memory nobody reads: the turn would be answered as a new
# conversation and then lost. Its error handlers now re-raise our outage error (and
# only that one), so the channel can say so instead.
FailSafeTrackerStore.on_tracker_store_error = _let_outages_through(
    FailSafeTrackerStore.on_tracker_store_error)
FailSafeTrackerStore.on_tracker_store_retrieve_error = _let_outages_through(
    FailSafeTrackerStore.on_tracker_store_retrieve_error)


class Purged(NamedTuple):
    """What a purge did: conversations whose content was deleted, opt-outs kept."""

    conversations: int
    opt_outs_kept: int


def content_free_record(slots: Dict[Text, Any], at: float) -> List[Event]:
    """A conversation holding only these slot values: a session start, no text, no answers."""
    return [
        ActionExecuted(ACTION_SESSION_START_NAME, timestamp=at),
        SessionStarted(timestamp=at),
        *(SlotSet(name, value, timestamp=at) for name, value in slots.items()),
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=at),
    ]


def kept_on_erasure(tracker: DialogueStateTracker) -> Dict[Text, Any]:
    """The slots an erased conversation keeps: an opt-out, and that a crisis was flagged."""
    return {name: True for name in (OPT_OUT_SLOT, CRISIS_SLOT) if tracker.get_slot(name)}


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

    @staticmethod
    async def _now(function: Callable[..., T], *args: Any) -> T:
        """Runs database work on the event loop, as an awaitable for _retrying."""
        return function(*args)

    async def _retrying(self, operation: Callable[[], Awaitable[T]], what: str) -> T:
        """Runs a database operation, retrying transient errors; TrackerStoreUnavailable
        when the database is still away after the last retry."""
        for attempt, delay in enumerate((*RETRY_DELAYS_S, None), start=1):
            try:
                return await operation()
            except TRANSIENT_ERRORS as error:
                if delay is None:
                    logger.error("Tracker store: %s failed %d times (%s), giving up",
                                 what, attempt, type(error).__name__)
                    raise TrackerStoreUnavailable(what) from error
                logger.warning(
                    "Tracker store: %s failed (%s), retry %d in %.1f s",
                    what, type(error).__name__, attempt, delay,
                )
                # drop connections a restarted server closed
                self.engine.dispose()
                await asyncio.sleep(delay)
            except sa.exc.SQLAlchemyError as error:
                logger.error("Tracker store: %s failed (%s)", what, type(error).__name__)
                raise TrackerStoreUnavailable(what) from error
        raise AssertionError("unreachable")

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Saves the new events, or erases the conversation if that was confirmed."""
        if erasure_confirmed(tracker):
            kept = kept_on_erasure(tracker)
            record = content_free_record(kept, time.time()) if kept else []
            deleted = await self._retrying(
                lambda: self._now(self._replace_conversation, tracker.sender_id, record),
                "erase",
            )
            logger.info("Conversation erased on request (%d events%s)", deleted,
                        ", a content-free record kept" if kept else "")
            return
        await self.stream_events(tracker)  # before saving: it sends what is not stored yet
        await self._retrying(lambda: self._now(self._save_new_events, tracker), "save")

    def _save_new_events(self, tracker: DialogueStateTracker) -> None:
        """Stores the events of the tracker that are not stored yet (as Rasa's save)."""
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
        events = self._read_events(query, sender_id)
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _read_events(self, query: Any, sender_id: Text) -> List[Dict[Text, Any]]:
        with self.session_scope() as session:
            return [json.loads(data)
                    for (data,) in session.execute(query, {"sender_id": sender_id})]

    async def erase_conversation(self, sender_id: Text) -> int:
        """Deletes every stored event of one conversation; returns how many."""
        return self._replace_conversation(sender_id, [])

    def _replace_conversation(self, sender_id: Text, events: Iterable[Event]) -> int:
        """Deletes every stored event of one conversation and stores `events` instead,
        in one transaction; returns how many were deleted."""
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            rows = [event_row(sender_id, event) for event in events]
            if rows:
                session.execute(self.statements.insert, rows)
            session.commit()
        return deleted

    def delete_inactive(self, older_than_days: float, now: Optional[float] = None) -> Purged:
        """Deletes conversations whose last event is older than the retention period.

        An opted-out SMS conversation is replaced by a content-free record of the
        opt-out (one that is already only that record is left as it is), so the
        number stays opted out until START. Everything else goes, crisis flag included.
        """
        now = now or time.time()
        cutoff = now - older_than_days * 86400
        deleted = kept = 0
        with self.session_scope() as session:
            last_activity = (
                session.query(self.SQLEvent.sender_id)
                .group_by(self.SQLEvent.sender_id)
                .having(sa.func.max(self.SQLEvent.timestamp) < cutoff)
            )
            stale = [sender_id for (sender_id,) in last_activity.all()]
            for start in range(0, len(stale), PURGE_BATCH):
                batch = stale[start:start + PURGE_BATCH]
                opted_out = self._opted_out(session, batch)
                already_record = opted_out - self._with_content(session, batch)
                to_delete = [sender for sender in batch if sender not in already_record]
                session.query(self.SQLEvent).filter(
                    self.SQLEvent.sender_id.in_(to_delete)
                ).delete(synchronize_session=False)
                record = content_free_record({OPT_OUT_SLOT: True}, now)
                rows = [event_row(sender, event) for sender in to_delete
                        if sender in opted_out for event in record]
                if rows:
                    session.execute(self.statements.insert, rows)
                deleted += len(to_delete)
                kept += len(opted_out)
            session.commit()
        return Purged(conversations=deleted, opt_outs_kept=kept)

    def _opted_out(self, session: Any, senders: List[Text]) -> Set[Text]:
        """The conversations among `senders` whose latest opt-out slot value is true."""
        events = self.SQLEvent
        latest: Dict[Text, bool] = {}
        for sender, data in (
            session.query(events.sender_id, events.data)
            .filter(events.sender_id.in_(senders), events.type_name == SlotSet.type_name,
                    events.action_name == OPT_OUT_SLOT)
            .order_by(events.id)
        ):
            latest[sender] = bool(json.loads(data).get("value"))
        return {sender for sender, opted_out in latest.items() if opted_out}

    def _with_content(self, session: Any, senders: List[Text]) -> Set[Text]:
        """The conversations among `senders` with any event a content-free opt-out
        record does not have (text, answers, actions, other slots)."""
        events = self.SQLEvent
        record_event = sa.or_(
            events.type_name == SessionStarted.type_name,
            sa.and_(events.type_name == ActionExecuted.type_name,
                    events.action_name.in_((ACTION_SESSION_START_NAME, ACTION_LISTEN_NAME))),
            sa.and_(events.type_name == SlotSet.type_name, events.action_name == OPT_OUT_SLOT),
        )
        query = (session.query(events.sender_id)
                 .filter(events.sender_id.in_(senders), sa.not_(record_event)).distinct())
        return {sender for (sender,) in query}


def describe(store: Any) -> str:
    """Which database a store writes to, without credentials (for messages)."""
    engine = getattr(store, "engine", None)
    return engine.url.render_as_string(hide_password=True) if engine is not None else "memory"
