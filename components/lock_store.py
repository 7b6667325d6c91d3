"""Conversation locks in Redis that hold when several Rasa servers share the load.

Rasa's RedisLockStore keeps each conversation's ticket queue as one JSON value and
changes it with a GET followed by a SET. Two servers that receive a message of the
same conversation at the same moment both read the same queue and both write it
back: they draw the same ticket number (about one time in three for truly
simultaneous messages, measured on this project), both take the lock, and the two
turns run at once, losing or interleaving events in the tracker store. A waiter's
periodic clean-up can also write back a ticket another server had just removed,
stalling the conversation until that ticket expires. (Upstream: RasaHQ/rasa#9213; a
fix was merged and reverted in 3.3, PR #11256 / #11428.)

Second, a ticket's lifetime (TICKET_LOCK_LIFETIME, 60 s) runs from the moment it is
issued, waiting included. When a server dies holding a lock, the next message of that
conversation (nginx replays it on another server at once) waits for the dead ticket
to expire, but its own ticket, issued a moment later, expires a moment later too:
Rasa's waiting loop, polling once a second, then usually finds both gone, waits for
ticket "0" forever and the conversation hangs (seen in tests/cluster: a 90 s gateway
timeout). The same happens to any message queued longer than the lifetime.

AtomicRedisLockStore is the same lock store, same keys and same ticket format, with
- every read-modify-write of a queue done as one Redis transaction (WATCH/MULTI/EXEC,
  retried when another server changed the queue in between);
- a waiting server renewing its own ticket at each poll, so the lifetime counts from
  the last sign of life of its owner: a live waiter never expires, the holder has the
  full lifetime from the moment it got its turn to handle its message, and a dead
  server's ticket expires at most TICKET_LOCK_LIFETIME after it died.
Used by endpoints.production.yml; the single-server default keeps Rasa's in-memory
locks.
"""

import asyncio
import json
import logging
import time
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Optional, Text, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

T = TypeVar("T")
# What a change does to the stored queue: the lock to save (None: delete the key)
# and the value to return.
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]


class AtomicRedisLockStore(RedisLockStore):
    """RedisLockStore whose ticket queue updates are atomic across servers."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        # Rasa builds a custom lock store as Class(endpoint_config=...); the built-in
        # "redis" type takes the host from the endpoint's `url`. Same here.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost",
                      **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _atomically(self, conversation_id: Text, change: Change[T]) -> T:
        key = self.key_prefix + conversation_id

        def attempt(pipe: Any) -> T:
            stored = pipe.get(key)  # immediate: the pipeline is WATCHing the key
            lock = TicketLock.from_dict(json.loads(stored)) if stored else None
            new_lock, result = change(lock)
            pipe.multi()
            if new_lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, new_lock.dumps())
            return result

        # Retried from the start whenever another server wrote the key meanwhile.
        return self.red.transaction(attempt, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._atomically(conversation_id, issue)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}")

    def update_lock(self, conversation_id: Text) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._atomically(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._atomically(conversation_id, finish)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Removes this ticket and, in the same transaction, the lock if no one waits."""
        def finish_and_maybe_delete(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], bool]:
            if lock is None:
                return None, False
            lock.remove_ticket_for(ticket_number)
            if lock.is_someone_waiting():
                return lock, False
            return None, True

        deleted = self._atomically(conversation_id, finish_and_maybe_delete)
        self._log_deletion(conversation_id, deleted)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Takes a ticket, waits for its turn (renewing it), and always gives it back."""
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._wait_for_turn(
                conversation_id, ticket, lock_lifetime, wait_time_in_seconds
            )
        finally:
            self.cleanup(conversation_id, ticket)

    async def _wait_for_turn(
        self, conversation_id: Text, ticket: int, lifetime: float, wait_time_in_seconds: float
    ) -> TicketLock:
        while True:
            lock = self._renew(conversation_id, ticket, lifetime)
            if lock is None:
                # No conversation id in the text: it reaches the log in tracebacks.
                raise LockError("Could not acquire the conversation lock: this message's "
                                "ticket was gone (expired) before its turn came.")
            if not lock.is_locked(ticket):
                logger.debug("Acquired lock for conversation '%s'.", conversation_id)
                return lock
            await asyncio.sleep(wait_time_in_seconds)

    def _renew(self, conversation_id: Text, ticket: int, lifetime: float) -> Optional[TicketLock]:
        """Drops the others' expired tickets and pushes this one's expiry forward.

        None if this ticket is gone (its owner was silent for longer than its lifetime).
        """
        def renew(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], Optional[TicketLock]]:
            if lock is None:
                return None, None
            own = next((t for t in lock.tickets if t.number == ticket), None)
            if own is None:
                return lock, None
            own.expires = time.time() + lifetime
            lock.tickets = deque(t for t in lock.tickets if t is own or not t.has_expired())
            return lock, lock

        return self._atomically(conversation_id, renew)
