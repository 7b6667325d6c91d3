"""PostgreSQL unreachable: a short cut is waited out, a long one gets an apology, and
nothing is lost either way.

A Rasa server of the production profile talks to PostgreSQL through a TCP relay that
the test can cut: every open connection is dropped and new ones are refused, as
during a database restart or a network blip. A message sent during a short cut must
be answered once the database is back (the tracker store retries transient errors,
components/conversation_store.py). During a cut longer than the retries, every
channel answers with an apology that gives 988 and 911 (channels/store_outage.py,
the SMS channel's last-resort reply) instead of treating the message as the start
of a new conversation; sent again once the database is back, the message continues
the conversation. Every message must be stored exactly once, in order.
"""

import asyncio
import socket
import threading
import time
import uuid
from typing import List, Optional

import pytest
import requests

from scripts.cluster import EnvConfiguredServers
from tests.cluster.conftest import (
    CHECKLIST, LOG_DIR, malformed_turns, new_sender, post, rasa_url, reply_texts,
    stored_events, stored_user_texts,
)

from tests.e2e.test_socketio import converse

RELAYED_RASA_PORT = 21003
OUTAGE_S = 1.5
RETRY_WINDOW_S = 0.2 + 0.5 + 1 + 2  # components/conversation_store.py, RETRY_DELAYS_S
APOLOGY = "call or text 988, or 911 in an emergency"


class CuttableRelay:
    """Forwards TCP connections from a local port to PostgreSQL; cut() drops them all."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener: Optional[socket.socket] = None
        self.port = 0
        self.sockets: List[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            server = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.close()
                except OSError:
                    pass

    def cut(self) -> None:
        """Refuses new connections and drops the open ones."""
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for end in self.sockets:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                    end.close()
                except OSError:
                    pass
            self.sockets = []

    def restore(self) -> None:
        self.start()


@pytest.fixture(scope="module")
def relayed_server(cluster):
    """A Rasa server whose database connections go through a CuttableRelay."""
    relay = CuttableRelay(cluster.database.port)
    relay.start()
    env = {**cluster.server_env(), "TRACKER_DB_HOST": "127.0.0.1",
           "TRACKER_DB_PORT": str(relay.port),
           "TWILIO_AUTH_TOKEN": "", "TWILIO_ALLOW_UNSIGNED": "true"}  # SMS without signatures
    server = EnvConfiguredServers(
        model=cluster.model, rasa_port=RELAYED_RASA_PORT, action_port=cluster.action_port,
        endpoints=cluster.endpoints, log_dir=str(LOG_DIR / "rasa-relayed"),
        api_token=cluster.api_token, env=env,
    )
    server.start_rasa()
    yield server, relay
    server.stop()
    relay.cut()


def begin_checklist(server, name):
    """A new conversation, three checklist turns in: its server's URL and sender id."""
    url, sender = rasa_url(server.rasa_port), new_sender(name)
    for text, expected in CHECKLIST[:3]:
        assert expected in reply_texts(post(url, sender, text))[-1]
    return url, sender


def test_a_message_sent_while_the_database_is_away_is_answered_and_stored_once(
        cluster, relayed_server):
    server, relay = relayed_server
    url, sender = begin_checklist(server, "outage")

    relay.cut()
    threading.Timer(OUTAGE_S, relay.restore).start()
    started = time.monotonic()
    text, expected = CHECKLIST[3]
    reply = reply_texts(post(url, sender, text))
    waited = time.monotonic() - started
    assert expected in reply[-1], f"the checklist goes on where it was: {reply}"
    assert waited >= OUTAGE_S * 0.8, "the message was really sent during the cut"

    for text, expected in CHECKLIST[4:6]:
        assert expected in reply_texts(post(url, sender, text))[-1]
    assert stored_user_texts(cluster, [sender])[sender] == [t for t, _ in CHECKLIST[:6]]
    assert malformed_turns(stored_events(cluster, [sender])[sender]) == []


def test_a_longer_outage_gets_an_apology_and_the_conversation_goes_on_afterwards(
        cluster, relayed_server):
    server, relay = relayed_server
    url, sender = begin_checklist(server, "long-outage")

    relay.cut()
    try:
        started = time.monotonic()
        rest = post(url, sender, CHECKLIST[3][0])
        waited = time.monotonic() - started
        assert rest.status_code == 503, rest.text[:300]
        assert APOLOGY in rest.json()["error"]
        assert waited >= RETRY_WINDOW_S, "the retries came first"

        web_session = uuid.uuid4().hex
        web = asyncio.run(converse(url, web_session, "what does tms cost?"))
        assert APOLOGY in web[0]["text"], web

        sms = requests.post(f"{url}/webhooks/twilio/webhook", timeout=60, data={
            "From": "+15550100999", "To": "+15550100142", "Body": "what does tms cost?",
            "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32})
        assert sms.status_code == 200 and "call or text 988" in sms.text, sms.text[:300]
    finally:
        relay.restore()

    # Nothing of the apologised turn was stored: sent again, it continues the checklist.
    for text, expected in CHECKLIST[3:6]:
        assert expected in reply_texts(post(url, sender, text))[-1]
    assert stored_user_texts(cluster, [sender])[sender] == [t for t, _ in CHECKLIST[:6]]
    assert malformed_turns(stored_events(cluster, [sender])[sender]) == []
    assert stored_events(cluster, [web_session])[web_session] == []
