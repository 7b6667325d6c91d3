"""The tracker store: Rasa's SQL store (SQLite or PostgreSQL) with two additions.

- Transient database errors (SQLite busy, a PostgreSQL restart) are retried a few
  times, with the connection pool reset in between, before Rasa's own fallback
  takes over; so a short outage costs a moment, not a conversation.
- Erasure on request: when the turn ends with `utter_data_deleted` (the person
  asked to delete their data and confirmed), every stored event of that
  conversation is deleted instead of saved.
- delete_inactive() removes conversations quiet for longer than a retention
  period (scripts/purge_conversations.py, `make purge`).
"""

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Optional, Text, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

ERASE_MARKER_ACTION = "utter_data_deleted"
RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)
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


class ConversationStore(SQLTrackerStore):
    """SQLTrackerStore that retries transient errors and honours erasure requests."""

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
        await self._retrying(lambda: super(ConversationStore, self).save(tracker), "save")

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._retrying(
            lambda: super(ConversationStore, self).retrieve(sender_id), "retrieve"
        )

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        return await self._retrying(
            lambda: super(ConversationStore, self).retrieve_full_tracker(conversation_id),
            "retrieve",
        )

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
