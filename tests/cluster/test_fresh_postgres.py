"""`make services` on a fresh Debian PostgreSQL: a scratch cluster made with Debian's
defaults (pg_createcluster: scram-sha-256 for 127.0.0.1 and ::1, peer on the socket),
on a port of its own so that the machine's PostgreSQL is not touched.

scripts/ensure_services.sh (pointed at it with TMS_PG_PORT) must leave it accepting
the project's password-less connections over 127.0.0.1 with the databases the tests
use, change nothing on a second run, and recreate the role while the server is up.
"""

import getpass
import subprocess
from pathlib import Path
from typing import Iterator

import psycopg2
import pytest

from scripts.run_assistant import ROOT

SCRATCH = "tmsfresh"
PORT = 5439
SCRIPT = ROOT / "scripts" / "ensure_services.sh"


def postgres_version() -> str:
    return sorted(Path("/usr/lib/postgresql").iterdir(), key=lambda p: int(p.name))[-1].name


def drop_scratch(version: str) -> None:
    subprocess.run(["pg_dropcluster", "--stop", version, SCRATCH], capture_output=True)


@pytest.fixture
def fresh_cluster() -> Iterator[Path]:
    """A new cluster with Debian's default authentication; its pg_hba.conf."""
    version = postgres_version()
    drop_scratch(version)  # left over by an interrupted run
    subprocess.run(["pg_createcluster", version, SCRATCH, "-p", str(PORT), "--start"],
                   check=True, capture_output=True)
    try:
        yield Path(f"/etc/postgresql/{version}/{SCRATCH}/pg_hba.conf")
    finally:
        drop_scratch(version)


def ensure_services() -> str:
    run = subprocess.run(["bash", str(SCRIPT)], env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                                     "TMS_PG_PORT": str(PORT)},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, (run.stdout, run.stderr)
    return run.stdout


def as_postgres_sql(statement: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-p", str(PORT), "-qc", statement],
                   cwd="/", check=True, capture_output=True)


def connect(database: str):
    """As the project connects: over TCP, no password."""
    return psycopg2.connect(host="127.0.0.1", port=PORT, dbname=database,
                            user=getpass.getuser(), password=None, connect_timeout=5)


def test_a_fresh_debian_postgresql_is_made_ready_without_a_password(fresh_cluster):
    with pytest.raises(psycopg2.OperationalError, match="no password supplied|password authentication"):
        connect("postgres")

    output = ensure_services()
    assert f"Adding 'host all {getpass.getuser()} 127.0.0.1/32 trust'" in output, output
    for database in ("test", "tms_conversations"):
        connect(database).close()
    hba = fresh_cluster.read_text()
    rules = [line for line in hba.splitlines() if line.strip() and not line.startswith("#")]
    assert rules[:2] == [f"host    all    {getpass.getuser()}    127.0.0.1/32    trust",
                         f"host    all    {getpass.getuser()}    ::1/128    trust"], rules
    assert "scram-sha-256" in hba, "the other rules stay as they were"
    assert Path(f"{fresh_cluster}.before-tms").read_text() != hba

    assert "==>" not in ensure_services(), "a second run changes nothing"
    assert fresh_cluster.read_text() == hba

    # The role gone while PostgreSQL is up (the old script only created it when it had
    # started PostgreSQL itself): created again.
    for statement in ("DROP DATABASE test", "DROP DATABASE tms_conversations",
                      f'DROP ROLE "{getpass.getuser()}"'):
        as_postgres_sql(statement)
    output = ensure_services()
    assert "Creating the PostgreSQL role" in output and "Adding" not in output, output
    connect("test").close()
