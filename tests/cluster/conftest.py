"""Starts the production profile (`make cluster`) for the cluster tests, and their helpers.

The cluster is scripts/cluster.py's Cluster on ports of its own: Rasa servers 21001
and 21002, action server 21055, nginx 21080, demo page 21090, with
endpoints.production.yml, conversations in the PostgreSQL database tms_cluster_test
(dropped and created again before the run) and locks in Redis database 2. Needs
PostgreSQL on 127.0.0.1:5432 accepting the current user without a password, Redis on
127.0.0.1:6379 and nginx (scripts/ensure_services.sh sets up the first two). Server output goes to
results/cluster-logs/, nginx's logs to var/nginx-21080/logs/ (both appended to across
runs: LOG_OFFSETS says where this run began). The model is $TMS_MODEL, or the newest
one in models/. Every conversation id the tests make (new_sender) and every message
they post is noted in SENT, for test_written_logs_hold_no_personal_data.py, which runs
last.
"""

import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set

import pytest
import requests

from scripts.cluster import Cluster, DatabaseSettings, RedisSettings
from scripts.run_assistant import ROOT, newest_model

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

RASA_PORTS = (21001, 21002)
ACTION_PORT = 21055
NGINX_PORT = 21080
WEB_PORT = 21090
DATABASE = "tms_cluster_test"
REDIS_DB = 2
API_TOKEN = "cluster-test-token"
LOG_DIR = ROOT / "results" / "cluster-logs"
REST_PATH = "/webhooks/rest/webhook"
# Above nginx's 90 s read timeout: a turn may wait for a lock a killed server held.
REQUEST_TIMEOUT_S = 120

# The checklist with answers that make TMS a good fit: each answer, and a few words of
# the question that must follow it (the last message of the reply).
CHECKLIST = [
    ("am I a candidate for TMS?", "diagnosed you with depression"),
    ("yes", "antidepressant"),
    ("Zoloft and Lexapro", "side effects"),
    ("yes", "talk therapy"),
    ("no", "metal or implanted device"),
    ("no", "heart device"),
    ("no", "seizure"),
    ("no", "bipolar"),
    ("no", "pregnant"),
    ("no", "how old are you"),
    ("45", "not a diagnosis"),
]


# What the tests sent, to look for in the logs afterwards.
SENT: Dict[str, Set[str]] = {"senders": set(), "texts": set()}
# Where each log file ended when the cluster was started (files not there yet: 0).
LOG_OFFSETS: Dict[Path, int] = {}
LAST_MODULE = "test_written_logs_hold_no_personal_data"


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """The log check runs after every other cluster test: it reads what they made the
    servers write."""
    items.sort(key=lambda item: item.module.__name__.endswith(LAST_MODULE))


def rasa_url(port: int) -> str:
    return f"http://localhost:{port}"


def cluster_log_files(cluster: Cluster) -> List[Path]:
    """Every log file the cluster writes: each server's output under LOG_DIR (Rasa
    servers, action server, nginx's own) and nginx's access and error logs."""
    logs = list(LOG_DIR.rglob("*.log"))
    nginx_logs = cluster.nginx_prefix / "logs"
    if nginx_logs.is_dir():
        logs += nginx_logs.glob("*.log")
    return sorted(logs)


def written_since_start(path: Path) -> str:
    """What a log file received since the cluster was started."""
    with open(path, "rb") as log:
        log.seek(LOG_OFFSETS.get(path, 0))
        return log.read().decode("utf-8", "replace")


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    """PostgreSQL and Redis checked, a clean database, then the cluster, for the session."""
    servers = Cluster(
        model=newest_model(),
        rasa_ports=RASA_PORTS,
        action_port=ACTION_PORT,
        nginx_port=NGINX_PORT,
        web_port=WEB_PORT,
        database=DatabaseSettings.from_env({}, name=DATABASE),
        redis=RedisSettings.from_env({}, db=REDIS_DB),
        log_dir=str(LOG_DIR),
        api_token=API_TOKEN,
    )
    servers.ensure_services()
    servers.prepare_database(reset=True)
    LOG_OFFSETS.update({path: path.stat().st_size for path in cluster_log_files(servers)})
    try:
        servers.start()
    except BaseException:
        servers.stop()
        raise
    yield servers
    servers.stop()


@pytest.fixture
def live_cluster(cluster: Cluster) -> Cluster:
    """The cluster with every Rasa server running (restarts one a test killed)."""
    dead = [node for node in cluster.nodes if node.rasa is None or node.rasa.poll() is not None]
    if dead:
        Cluster.start_rasa(dead)
    return cluster


def new_sender(kind: str) -> str:
    sender = f"cluster-{kind}-{uuid.uuid4().hex[:12]}"
    SENT["senders"].add(sender)
    return sender


def post(url: str, sender: str, text: str, session: Optional[requests.Session] = None,
         timeout: float = REQUEST_TIMEOUT_S) -> requests.Response:
    SENT["senders"].add(sender)
    SENT["texts"].add(text)
    return (session or requests).post(f"{url}{REST_PATH}", json={"sender": sender, "message": text},
                                      timeout=timeout)


def reply_texts(response: requests.Response) -> List[str]:
    assert response.status_code == 200, (response.status_code, response.text[:300])
    messages = response.json()
    assert isinstance(messages, list), messages
    return [message.get("text") or "" for message in messages]


def get_tracker(url: str, sender: str) -> Dict[str, Any]:
    """The stored conversation through a Rasa server's HTTP API."""
    reply = requests.get(f"{url}/conversations/{sender}/tracker", params={"token": API_TOKEN},
                         timeout=REQUEST_TIMEOUT_S)
    assert reply.status_code == 200, (reply.status_code, reply.text[:300])
    return reply.json()


def stored_events(cluster: Cluster, senders: Sequence[str]) -> Dict[str, List[Dict[str, Any]]]:
    """Every stored event of these conversations straight from PostgreSQL, by id order."""
    events: Dict[str, List[Dict[str, Any]]] = {sender: [] for sender in senders}
    connection = cluster.database.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sender_id, type_name, action_name, data FROM events "
                "WHERE sender_id = ANY(%s) ORDER BY id", (list(senders),),
            )
            for sender, type_name, action_name, data in cursor.fetchall():
                events[sender].append({"type_name": type_name, "action_name": action_name,
                                       "text": json.loads(data).get("text")})
    finally:
        connection.close()
    return events


def stored_user_texts(cluster: Cluster, senders: Sequence[str]) -> Dict[str, List[str]]:
    """The user messages stored for each conversation (type_name='user', by id)."""
    return {sender: [event["text"] for event in events if event["type_name"] == "user"]
            for sender, events in stored_events(cluster, senders).items()}


def malformed_turns(events: List[Dict[str, Any]]) -> List[str]:
    """What breaks "one turn after the other": each user message comes right after an
    action_listen and gets at least one bot message before the next user message."""
    problems = []
    user_indexes = [i for i, event in enumerate(events) if event["type_name"] == "user"]
    for number, index in enumerate(user_indexes):
        before = events[index - 1] if index else None
        if not before or before["type_name"] != "action" or before["action_name"] != "action_listen":
            problems.append(f"user message {number} ({events[index]['text']!r}) "
                            f"does not follow action_listen but {before}")
        end = user_indexes[number + 1] if number + 1 < len(user_indexes) else len(events)
        if not any(event["type_name"] == "bot" for event in events[index + 1:end]):
            problems.append(f"user message {number} ({events[index]['text']!r}) has no bot reply")
    if events and events[-1]["action_name"] != "action_listen":
        problems.append(f"the conversation does not end listening: {events[-1]}")
    return problems


def access_log_offset(cluster: Cluster) -> int:
    """Where nginx's access log ends now (it grows across runs)."""
    log = cluster.nginx_prefix / "logs" / "access.log"
    return log.stat().st_size if log.exists() else 0


def access_log_since(cluster: Cluster, offset: int) -> List[str]:
    """nginx's access log lines written after offset."""
    with open(cluster.nginx_prefix / "logs" / "access.log", "rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", "replace").splitlines()


class Timeline:
    """When each request started and ended, and how it went (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: List[Dict[str, Any]] = []

    def record(self, **request: Any) -> None:
        with self.lock:
            self.requests.append(request)

    def in_flight_at(self, moment: float) -> List[Dict[str, Any]]:
        return [r for r in self.requests if r["start"] <= moment < r["end"]]


def now() -> float:
    return time.monotonic()
