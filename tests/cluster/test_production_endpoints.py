"""endpoints.production.yml as Rasa reads it: every value from the environment, a clear
error at start-up when a variable is missing; and the generated nginx configuration."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rasa.core.utils import AvailableEndpoints
from rasa.shared.exceptions import RasaException

from scripts.cluster import (
    PRODUCTION_ENDPOINTS, EnvConfiguredServers, find_nginx, render_nginx_config,
)
from scripts.run_assistant import ROOT, AssistantServers

ENV = {
    "TRACKER_DB_HOST": "db.internal", "TRACKER_DB_PORT": "5433", "TRACKER_DB_NAME": "tms",
    "TRACKER_DB_USER": "tms_app", "TRACKER_DB_PASSWORD": "s3cret",
    "REDIS_HOST": "redis.internal", "REDIS_PORT": "6380", "REDIS_DB": "4", "REDIS_PASSWORD": "",
    "ACTION_SERVER_URL": "http://actions.internal:5055/webhook",
}


@pytest.fixture
def environment(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def read(path) -> AvailableEndpoints:
    return AvailableEndpoints.read_endpoints(str(path))


def test_every_value_comes_from_the_environment(environment):
    endpoints = read(ROOT / PRODUCTION_ENDPOINTS)
    assert endpoints.action.url == ENV["ACTION_SERVER_URL"]
    store = endpoints.tracker_store
    assert store.type == "components.conversation_store.ConversationStore"
    assert store.url == "db.internal"  # Rasa passes it as the store's host
    assert store.kwargs == {"dialect": "postgresql", "port": "5433", "db": "tms",
                            "username": "tms_app", "password": "s3cret",
                            "query": {"connect_timeout": "3"}}  # the one fixed value
    lock = endpoints.lock_store
    assert lock.type == "components.lock_store.AtomicRedisLockStore" and lock.url == "redis.internal"
    assert lock.kwargs == {"port": "6380", "db": "4", "password": "", "key_prefix": "tms"}
    assert endpoints.nlg.type == read(ROOT / "endpoints.yml").nlg.type


@pytest.mark.parametrize("name", sorted(ENV))
def test_a_missing_variable_stops_the_server_and_is_named(environment, name):
    environment.delenv(name)
    with pytest.raises(RasaException, match=re.escape("${" + name + "}")):
        read(ROOT / PRODUCTION_ENDPOINTS)


def test_no_placeholder_is_quoted_or_inside_a_longer_value():
    """Quoted, Rasa leaves ${VAR} as it is; inside a longer value, unset goes unnoticed."""
    text = (ROOT / PRODUCTION_ENDPOINTS).read_text()
    values = [line.split(":", 1)[1].strip() for line in text.splitlines()
              if "${" in line and not line.lstrip().startswith("#")]
    assert values and all(re.fullmatch(r"\$\{[A-Z_]+\}", value) for value in values), values


def test_the_launcher_passes_the_production_file_unchanged(environment):
    servers = EnvConfiguredServers(model="unused", rasa_port=21001, action_port=21055)
    assert servers.effective_endpoints() == ROOT / PRODUCTION_ENDPOINTS


def test_the_rewritten_copy_of_run_assistant_keeps_the_placeholders(environment):
    """AssistantServers' own rewrite (other action port) still leaves ${VAR}s that Rasa expands."""
    servers = AssistantServers(model="unused", rasa_port=21009, action_port=21055,
                               endpoints=PRODUCTION_ENDPOINTS)
    copy = servers.effective_endpoints()
    try:
        assert copy != ROOT / PRODUCTION_ENDPOINTS
        endpoints = read(copy)
        assert endpoints.action.url == "http://localhost:21055/webhook"
        assert endpoints.tracker_store.url == "db.internal"
        assert endpoints.lock_store.kwargs["port"] == "6380"
    finally:
        copy.unlink()


def test_the_nginx_configuration_is_complete_and_accepted(tmp_path: Path):
    config = render_nginx_config([21001, 21002], 21080)
    assert not re.search(r"\{\{\w+\}\}", config)
    assert config.count("server 127.0.0.1:21001") == 2  # round-robin and sticky upstreams
    for folder in ("logs", "tmp"):
        (tmp_path / folder).mkdir()
    (tmp_path / "nginx.conf").write_text(config)
    check = subprocess.run(
        [find_nginx(), "-t", "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf"),
         "-e", str(tmp_path / "logs" / "error.log")],
        capture_output=True, text=True,
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("unreachable, message", [
    ({"REDIS_PORT": "1"}, "ERROR: Redis at redis://127.0.0.1:1/1 does not answer"),
    ({"TRACKER_DB_PORT": "1"}, "ERROR: PostgreSQL at postgresql://"),
])
def test_make_cluster_with_outside_services_checks_them_before_starting_anything(
        unreachable, message):
    """PostgreSQL or Redis elsewhere (not started by ensure_services.sh) and not
    reachable: one clear error naming the variables to check, and no server started."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("TRACKER_DB_", "REDIS_"))}
    run = subprocess.run(
        [sys.executable, "scripts/cluster.py", "--model", "models/none.tar.gz",
         "--rasa-ports", "21201,21202", "--action-port", "21255", "--nginx-port", "21280",
         "--web-port", "0"],
        cwd=ROOT, env={**env, **unreachable}, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert message in run.stderr, run.stderr
    assert "_PORT" in run.stderr.splitlines()[-1]
    assert "Starting the action server" not in run.stdout
