"""`make cluster`: the production profile on one machine, behind nginx.

Starts (or installs) PostgreSQL and Redis with scripts/ensure_services.sh when they
are the local ones, and in any case checks that Redis answers and PostgreSQL accepts
the role (a clear error and no server started otherwise), creates the conversation
database if it is missing, then starts
one action server, two Rasa servers on the same model with endpoints.production.yml
(conversations in PostgreSQL, conversation locks in Redis) and nginx in front of them
(deploy/nginx-cluster.conf): socket.io sticky to one server per client address,
everything else round-robin. Prints the URLs once everything answers; Ctrl-C (or
SIGTERM) stops all of it. The cluster tests (tests/cluster) start the same thing
through the Cluster class on other ports.

endpoints.production.yml is configured only by environment variables; Cluster sets
them for its servers from its own settings (DatabaseSettings, RedisSettings, the
action server's port). Defaults: TRACKER_DB_HOST=127.0.0.1 TRACKER_DB_PORT=5432
TRACKER_DB_NAME=tms_conversations TRACKER_DB_USER=<you> TRACKER_DB_PASSWORD=""
REDIS_HOST=127.0.0.1 REDIS_PORT=6379 REDIS_DB=1 REDIS_PASSWORD="".
"""

import argparse
import getpass
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.run_assistant import (  # noqa: E402
    AssistantServers, sms_token_note, stop, wait_until_up,
)
from scripts.serve_web import start_web_server  # noqa: E402

PRODUCTION_ENDPOINTS = "endpoints.production.yml"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx-cluster.conf"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class DatabaseSettings:
    """Where the conversations are: the TRACKER_DB_* variables of endpoints.production.yml."""

    host: str = "127.0.0.1"
    port: int = 5432
    name: str = "tms_conversations"
    user: str = field(default_factory=getpass.getuser)
    password: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **overrides) -> "DatabaseSettings":
        default = cls()
        values = dict(
            host=environ.get("TRACKER_DB_HOST", default.host),
            port=int(environ.get("TRACKER_DB_PORT", default.port)),
            name=environ.get("TRACKER_DB_NAME", default.name),
            user=environ.get("TRACKER_DB_USER", default.user),
            password=environ.get("TRACKER_DB_PASSWORD", default.password),
        )
        return cls(**{**values, **overrides})

    def env(self) -> Dict[str, str]:
        return {"TRACKER_DB_HOST": self.host, "TRACKER_DB_PORT": str(self.port),
                "TRACKER_DB_NAME": self.name, "TRACKER_DB_USER": self.user,
                "TRACKER_DB_PASSWORD": self.password}

    def connect(self, database: Optional[str] = None):
        """A psycopg2 connection to this database (or another one on the same server)."""
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, dbname=database or self.name,
                                user=self.user, password=self.password or None,
                                connect_timeout=10)

    def describe(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.name}"


@dataclass
class RedisSettings:
    """Where the conversation locks are: the REDIS_* variables of endpoints.production.yml."""

    host: str = "127.0.0.1"
    port: int = 6379
    db: int = 1
    password: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **overrides) -> "RedisSettings":
        default = cls()
        values = dict(
            host=environ.get("REDIS_HOST", default.host),
            port=int(environ.get("REDIS_PORT", default.port)),
            db=int(environ.get("REDIS_DB", default.db)),
            password=environ.get("REDIS_PASSWORD", default.password),
        )
        return cls(**{**values, **overrides})

    def env(self) -> Dict[str, str]:
        return {"REDIS_HOST": self.host, "REDIS_PORT": str(self.port),
                "REDIS_DB": str(self.db), "REDIS_PASSWORD": self.password}

    def describe(self) -> str:
        return f"redis://{self.host}:{self.port}/{self.db}"


@dataclass
class EnvConfiguredServers(AssistantServers):
    """AssistantServers for an endpoints file that takes its values from ${VAR}s.

    AssistantServers.effective_endpoints() rewrites the file for other ports (action
    server URL, SQLite path). endpoints.production.yml needs no rewriting: its action
    URL and database come from the environment (`env`), so the file is passed to Rasa
    exactly as it is deployed, and what is tested is what production reads.
    """

    endpoints: str = PRODUCTION_ENDPOINTS

    def effective_endpoints(self) -> Path:
        return ROOT / self.endpoints


def render_nginx_config(rasa_ports: Sequence[int], listen_port: int,
                        template: Path = NGINX_TEMPLATE, rasa_host: str = "127.0.0.1") -> str:
    """deploy/nginx-cluster.conf with its {{placeholders}} filled in."""
    servers = "\n".join(
        f"        server {rasa_host}:{port} max_fails=3 fail_timeout=10s;" for port in rasa_ports
    )
    values = {"RASA_SERVERS": servers, "LISTEN_PORT": str(listen_port)}
    text = template.read_text(encoding="utf-8")
    unknown = set(re.findall(r"\{\{(\w+)\}\}", text)) - set(values)
    if unknown:
        raise ValueError(f"{template}: no value for {sorted(unknown)}")
    return re.sub(r"\{\{(\w+)\}\}", lambda match: values[match.group(1)], text)


def find_nginx() -> str:
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(path, os.X_OK)),
        None,
    )
    if not found:
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx-light)")
    return found


@dataclass
class Cluster:
    """PostgreSQL + Redis (outside), one action server, N Rasa servers, nginx."""

    model: str
    rasa_ports: Sequence[int] = (5101, 5102)
    action_port: int = 5055
    nginx_port: int = 8000
    web_port: Optional[int] = 8080            # demo page, talking to nginx; None: none
    database: DatabaseSettings = field(default_factory=DatabaseSettings.from_env)
    redis: RedisSettings = field(default_factory=RedisSettings.from_env)
    endpoints: str = PRODUCTION_ENDPOINTS
    log_dir: Optional[str] = None
    api_token: Optional[str] = None
    env: Dict[str, str] = field(default_factory=dict)
    actions: Optional[EnvConfiguredServers] = field(default=None, init=False)
    nodes: List[EnvConfiguredServers] = field(default_factory=list, init=False)
    nginx: Optional[subprocess.Popen] = field(default=None, init=False)
    web: Optional[object] = field(default=None, init=False)

    @property
    def nginx_url(self) -> str:
        return f"http://localhost:{self.nginx_port}"

    @property
    def nginx_prefix(self) -> Path:
        return ROOT / "var" / f"nginx-{self.nginx_port}"

    def server_env(self) -> Dict[str, str]:
        """What endpoints.production.yml reads, plus the caller's extra variables."""
        return {
            "RASA_TELEMETRY_ENABLED": "false",
            **self.env,
            **self.database.env(),
            **self.redis.env(),
            "ACTION_SERVER_URL": f"http://localhost:{self.action_port}/webhook",
        }

    def _servers(self, rasa_port: int, log_dir: Optional[str]) -> EnvConfiguredServers:
        return EnvConfiguredServers(
            model=self.model, rasa_port=rasa_port, action_port=self.action_port,
            web_port=self.web_port or 8080, endpoints=self.endpoints, log_dir=log_dir,
            api_token=self.api_token, env=self.server_env(),
        )

    # --- outside services -------------------------------------------------------------

    def services_are_local(self) -> bool:
        return (self.database.host in LOCAL_HOSTS and self.database.port == 5432
                and self.redis.host in LOCAL_HOSTS and self.redis.port == 6379)

    def ensure_services(self) -> None:
        """scripts/ensure_services.sh for the local PostgreSQL and Redis it manages;
        then, local or not, check_services()."""
        if self.services_are_local():
            subprocess.run(["bash", str(ROOT / "scripts" / "ensure_services.sh")], check=True)
        else:
            print("==> PostgreSQL/Redis are not the local ones: not starting them, "
                  "checking them", flush=True)
        self.check_services()

    def check_services(self) -> None:
        """Fails with a RuntimeError saying what to fix unless Redis answers a PING and
        PostgreSQL accepts this role (a missing database is fine: prepare_database
        creates it). Run before any server starts, so that a wrong host or password is
        one clear line and not two Rasa servers failing to start."""
        import psycopg2
        import redis

        client = redis.Redis(host=self.redis.host, port=self.redis.port, db=self.redis.db,
                             password=self.redis.password or None,
                             socket_connect_timeout=5, socket_timeout=5)
        try:
            client.ping()
        except redis.RedisError as error:
            raise RuntimeError(
                f"Redis at {self.redis.describe()} does not answer ({error}): check "
                "REDIS_HOST, REDIS_PORT, REDIS_DB and REDIS_PASSWORD") from None
        finally:
            client.close()
        try:
            self.database.connect().close()
        except psycopg2.OperationalError as error:
            if "does not exist" in str(error) and f'"{self.database.name}"' in str(error):
                return
            reason = " ".join(str(error).split())
            raise RuntimeError(
                f"PostgreSQL at {self.database.describe()} refuses the connection ({reason}): "
                "check TRACKER_DB_HOST, TRACKER_DB_PORT, TRACKER_DB_USER and "
                "TRACKER_DB_PASSWORD") from None

    def prepare_database(self, reset: bool = False) -> None:
        """Creates the database if it is missing (reset: drops it first) and its table.

        The table is created here, once, by the tracker store class itself, so that
        the Rasa servers starting together do not race to create it.
        """
        import psycopg2
        from psycopg2 import sql

        name = sql.Identifier(self.database.name)
        exists = True
        if not reset:
            try:
                self.database.connect().close()
            except psycopg2.OperationalError as error:
                if "does not exist" not in str(error):
                    raise
                exists = False
        if reset or not exists:
            admin = self.database.connect(database="postgres")
            admin.autocommit = True
            try:
                with admin.cursor() as cursor:
                    if reset:
                        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
                    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                   (self.database.name,))
                    if cursor.fetchone() is None:
                        print(f"==> Creating the database {self.database.name}", flush=True)
                        cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
            finally:
                admin.close()
        os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        from components.conversation_store import ConversationStore

        store = ConversationStore(
            dialect="postgresql", host=self.database.host, port=self.database.port,
            db=self.database.name, username=self.database.user,
            password=self.database.password,
        )
        store.engine.dispose()

    # --- the servers ------------------------------------------------------------------

    def start(self) -> None:
        """Starts the action server, the Rasa servers (together), nginx, the demo page."""
        (ROOT / "var").mkdir(exist_ok=True)
        log_dir = Path(self.log_dir) if self.log_dir else None
        self.actions = self._servers(0, str(log_dir) if log_dir else None)
        self.actions.start_actions()
        self.nodes = [self._servers(port, str(log_dir / f"rasa-{port}") if log_dir else None)
                      for port in self.rasa_ports]
        self.start_rasa(self.nodes)
        self.start_nginx()
        if self.web_port:
            self.web = start_web_server(self.web_port, rasa_url=self.nginx_url)

    @staticmethod
    def start_rasa(nodes: Sequence[EnvConfiguredServers]) -> None:
        """Starts Rasa servers side by side and waits for all of them."""
        errors: List[BaseException] = []

        def start_one(node: EnvConfiguredServers) -> None:
            try:
                node.start_rasa()
            except BaseException as error:  # reported below, in the caller's thread
                errors.append(error)

        threads = [threading.Thread(target=start_one, args=(node,)) for node in nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise RuntimeError("; ".join(str(error) for error in errors))

    def write_nginx_config(self) -> Path:
        prefix = self.nginx_prefix
        for folder in ("logs", "tmp"):
            (prefix / folder).mkdir(parents=True, exist_ok=True)
        config = prefix / "nginx.conf"
        config.write_text(render_nginx_config(self.rasa_ports, self.nginx_port), encoding="utf-8")
        return config

    def nginx_command(self, *extra: str) -> List[str]:
        prefix = self.nginx_prefix
        return [find_nginx(), "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf"),
                "-e", str(prefix / "logs" / "error.log"), *extra]

    def start_nginx(self) -> None:
        """Writes the configuration, checks it (nginx -t), runs nginx in the foreground."""
        self.write_nginx_config()
        check = subprocess.run(self.nginx_command("-t", "-q"), capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx rejects its configuration: {check.stderr.strip()}")
        output = None
        if self.log_dir:
            Path(self.log_dir).mkdir(parents=True, exist_ok=True)
            output = open(Path(self.log_dir) / "nginx.log", "ab")
        self.nginx = subprocess.Popen(self.nginx_command(), cwd=ROOT, stdout=output,
                                      stderr=subprocess.STDOUT)
        wait_until_up(f"{self.nginx_url}/webhooks/rest/", self.nginx, "nginx")

    def processes(self) -> List[subprocess.Popen]:
        found = [node.rasa for node in self.nodes if node.rasa is not None]
        if self.actions is not None and self.actions.actions is not None:
            found.append(self.actions.actions)
        return found

    def stop(self) -> None:
        if self.web is not None:
            self.web.shutdown()
            self.web = None
        if self.nginx is not None:
            stop([self.nginx])  # SIGTERM: nginx's fast shutdown
            self.nginx = None
        stop(self.processes())
        for node in self.nodes:
            node.rasa = None
        if self.actions is not None:
            self.actions.actions = None


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="trained model (.tar.gz)")
    parser.add_argument("--rasa-ports", default="5101,5102",
                        help="comma-separated ports, one Rasa server each (default 5101,5102)")
    parser.add_argument("--action-port", type=int, default=5055)
    parser.add_argument("--nginx-port", type=int, default=8000)
    parser.add_argument("--web-port", type=int, default=8080,
                        help="demo page (talks to nginx); 0 for none")
    parser.add_argument("--log-dir", help="write each server's output to a file here")
    parser.add_argument("--no-services", action="store_true",
                        help="do not run scripts/ensure_services.sh "
                             "(PostgreSQL and Redis are still checked)")
    parser.add_argument(
        "--api-token", default=os.environ.get("RASA_API_TOKEN"),
        help="enable Rasa's HTTP API, protected by this token (off when unset)",
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    cluster = Cluster(
        model=args.model,
        rasa_ports=[int(port) for port in args.rasa_ports.split(",") if port.strip()],
        action_port=args.action_port, nginx_port=args.nginx_port,
        web_port=args.web_port or None, log_dir=args.log_dir, api_token=args.api_token,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        if args.no_services:
            cluster.check_services()
        else:
            cluster.ensure_services()
        cluster.prepare_database()
        print(f"==> Conversations: {cluster.database.describe()}, "
              f"locks: {cluster.redis.describe()}", flush=True)
        print(f"==> Starting the action server on port {args.action_port}, Rasa servers on "
              f"{', '.join(map(str, cluster.rasa_ports))} (loading the model), nginx on "
              f"{args.nginx_port}", flush=True)
        cluster.start()
        url = cluster.nginx_url
        print(
            "\n"
            f"  Through nginx:    {url}/\n"
            f"  REST webhook:     {url}/webhooks/rest/webhook      (round-robin)\n"
            f"  Socket.IO:        {url}/socket.io                  (sticky per client address)\n"
            f"  SMS (Twilio):     {url}/webhooks/twilio/webhook\n"
            + (f"  Demo chat page:   http://localhost:{args.web_port}/  (talks to nginx)\n"
               if cluster.web_port else "")
            + f"  Rasa servers:     {', '.join(node.rasa_url for node in cluster.nodes)}\n"
            f"  Action server:    http://localhost:{args.action_port}/webhook\n"
            f"  nginx logs:       {cluster.nginx_prefix / 'logs'}\n"
            f"{sms_token_note(os.environ)}"
            "\n  The cluster is ready. Press Ctrl-C to stop.\n",
            flush=True,
        )
        reported = set()
        while not stopping.is_set():
            for node in cluster.nodes:
                if node.rasa is not None and node.rasa.poll() is not None and node.rasa_port not in reported:
                    reported.add(node.rasa_port)
                    print(f"WARNING: the Rasa server on port {node.rasa_port} stopped "
                          f"(code {node.rasa.returncode}); nginx sends everything to the others.",
                          flush=True)
            if len(reported) == len(cluster.nodes):
                print("Every Rasa server stopped; shutting down.", flush=True)
                return 1
            if cluster.nginx.poll() is not None or cluster.actions.actions.poll() is not None:
                print("nginx or the action server stopped unexpectedly; shutting down.", flush=True)
                return 1
            stopping.wait(0.5)
        print("\n==> Stopping", flush=True)
        return 0
    except (RuntimeError, subprocess.CalledProcessError, OSError) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
