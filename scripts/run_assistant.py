"""`make run`: starts the action server, the Rasa server and the demo page, then waits.

Prints the URLs once everything answers, and on Ctrl-C (or SIGTERM) stops all of it
cleanly. The end-to-end tests start the assistant through AssistantServers, on
other ports and with their own conversation database, so what is tested is what
`make run` runs.

The SMS channel refuses to start without TWILIO_AUTH_TOKEN. When it is unset (and
TWILIO_ALLOW_UNSIGNED does not ask for unsigned requests instead), the servers get a
random local development token, made once in var/twilio-dev-token (mode 600): the
embedded defaults still start, and SMS requests must be signed with that token until
the real auth token from the Twilio console is set.
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Dict, List, Mapping, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.serve_web import start_web_server  # noqa: E402

STARTUP_TIMEOUT_S = 180
STOP_TIMEOUT_S = 10
# Both servers start through scripts/serve_lean.py, which leaves out imports they never use.
LEAN = [sys.executable, "-m", "scripts.serve_lean"]
DEV_TWILIO_TOKEN_FILE = Path("var") / "twilio-dev-token"  # under ROOT, git-ignored


def development_twilio_token() -> str:
    """The local development auth token for the SMS channel: random, made once, mode 600.

    It belongs to no Twilio account, so no real number can sign with it: it only lets the
    channel start with the embedded defaults (tests and local tools sign with it).
    """
    path = ROOT / DEV_TWILIO_TOKEN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_hex(32) + "\n")
        try:
            os.link(draft, path)  # atomic, and never replaces a token another run made
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    os.chmod(path, 0o600)
    return path.read_text(encoding="utf-8").strip()


def uses_development_twilio_token(env: Mapping[str, str]) -> bool:
    """True when neither a real token nor the unsigned-requests flag is configured."""
    unsigned = env.get("TWILIO_ALLOW_UNSIGNED", "").strip().lower() in ("1", "true", "yes")
    return not env.get("TWILIO_AUTH_TOKEN", "").strip() and not unsigned


def sms_token_note(env: Mapping[str, str]) -> str:
    """The one line `make run` prints when the SMS channel runs on the development token."""
    if not uses_development_twilio_token(env):
        return ""
    return (f"\n  SMS requests must be signed with the local development token in "
            f"{DEV_TWILIO_TOKEN_FILE}; set TWILIO_AUTH_TOKEN to the auth token from the "
            f"Twilio console to connect a real number.\n")


@dataclass
class AssistantServers:
    """The assistant's three servers on chosen ports, started and stopped together."""

    model: str
    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8080
    endpoints: str = "endpoints.yml"
    credentials: str = "credentials.yml"
    tracker_db: Optional[str] = None
    log_dir: Optional[str] = None
    api_token: Optional[str] = None
    env: Dict[str, str] = field(default_factory=dict)
    actions_package: str = "actions"  # the tests swap in tests.robustness.slow_actions
    actions: Optional[subprocess.Popen] = field(default=None, init=False)
    rasa: Optional[subprocess.Popen] = field(default=None, init=False)
    web: Optional[object] = field(default=None, init=False)

    def __post_init__(self) -> None:
        # The SMS channel refuses to start without a token: give it the development one.
        if uses_development_twilio_token({**os.environ, **self.env}):
            self.env = {**self.env, "TWILIO_AUTH_TOKEN": development_twilio_token()}

    @property
    def rasa_url(self) -> str:
        return f"http://localhost:{self.rasa_port}"

    @property
    def processes(self) -> List[subprocess.Popen]:
        return [p for p in (self.rasa, self.actions) if p is not None]

    def _output(self, name: str) -> Optional[IO]:
        if not self.log_dir:
            return None
        Path(self.log_dir).mkdir(parents=True, exist_ok=True)
        return open(Path(self.log_dir) / f"{name}.log", "ab")

    def effective_endpoints(self) -> Path:
        """endpoints.yml pointed at this run's action server and conversation database."""
        source = ROOT / self.endpoints
        if self.action_port == 5055 and not self.tracker_db:
            return source
        config = yaml.safe_load(source.read_text(encoding="utf-8"))
        config["action_endpoint"]["url"] = f"http://localhost:{self.action_port}/webhook"
        if self.tracker_db:
            config["tracker_store"]["db"] = self.tracker_db
        target = ROOT / "var" / f"endpoints.{self.rasa_port}.yml"
        target.parent.mkdir(exist_ok=True)  # a fresh checkout has no var/ (make bench starts here)
        target.write_text(yaml.safe_dump(config), encoding="utf-8")
        return target

    def start_actions(self) -> None:
        """Starts the action server and waits until it answers its health check."""
        self.actions = subprocess.Popen(
            [*LEAN, "rasa_sdk", "--actions", self.actions_package,
             "--port", str(self.action_port)],
            cwd=ROOT, stdout=self._output("actions"), stderr=subprocess.STDOUT,
        )
        wait_until_up(f"http://localhost:{self.action_port}/health", self.actions, "action server")

    def stop_actions(self) -> None:
        """Stops the action server (the fault tests use this)."""
        if self.actions is not None:
            stop([self.actions])
            self.actions = None

    def rasa_command(self, shell: bool = False) -> List[str]:
        command = [
            *LEAN, "rasa", "shell" if shell else "run",
            "--model", self.model, "--endpoints", str(self.effective_endpoints()),
        ]
        if shell:
            return command
        command += [
            "--credentials", self.credentials, "--port", str(self.rasa_port),
            "--cors", *self.cors_origins(),
        ]
        if self.api_token:
            command += ["--enable-api", "--auth-token", self.api_token]
        return command

    def cors_origins(self) -> List[str]:
        """Browser origins allowed to call the server: CORS_ORIGINS, else the demo page."""
        configured = {**os.environ, **self.env}.get("CORS_ORIGINS", "")
        origins = [origin.strip() for origin in configured.split(",") if origin.strip()]
        return origins or [f"http://localhost:{self.web_port}"]

    def start_rasa(self) -> None:
        """Starts the Rasa server and waits until its channels answer."""
        self.rasa = subprocess.Popen(
            self.rasa_command(), cwd=ROOT, stdout=self._output("rasa"), stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
        )
        wait_until_up(f"{self.rasa_url}/webhooks/rest/", self.rasa, "Rasa server")

    def start_web(self) -> None:
        """Serves the demo page, pointed at this run's Rasa server."""
        self.web = start_web_server(self.web_port, rasa_url=self.rasa_url)

    def start(self) -> None:
        (ROOT / "var").mkdir(exist_ok=True)
        self.start_actions()
        self.start_rasa()
        self.start_web()

    def stop(self) -> None:
        if self.web is not None:
            self.web.shutdown()
            self.web = None
        stop(self.processes)
        self.rasa = self.actions = None


def newest_model() -> str:
    """$TMS_MODEL, or the newest trained model in models/ (for the test suites and soak)."""
    chosen = os.environ.get("TMS_MODEL")
    if chosen:
        return chosen
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise RuntimeError("no trained model in models/: run `make train` first")
    return str(models[-1])


def wait_until_up(url: str, process: subprocess.Popen, name: str) -> None:
    """Polls url until it answers 200, failing early if the process dies."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode} during start-up")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{name} did not answer at {url} within {STARTUP_TIMEOUT_S} s")


def stop(processes: List[subprocess.Popen]) -> None:
    """SIGTERM, then SIGKILL for whatever is still running after STOP_TIMEOUT_S."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="trained model (.tar.gz)")
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--action-port", type=int, default=5055)
    parser.add_argument("--web-port", type=int, default=8080)
    parser.add_argument("--log-dir", help="write each server's output to a file here")
    parser.add_argument(
        "--api-token", default=os.environ.get("RASA_API_TOKEN"),
        help="enable Rasa's HTTP API, protected by this token (off when unset)",
    )
    parser.add_argument("--shell", action="store_true",
                        help="chat in this terminal (rasa shell) instead of serving")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    servers = AssistantServers(
        model=args.model, rasa_port=args.rasa_port, action_port=args.action_port,
        web_port=args.web_port, log_dir=args.log_dir, api_token=args.api_token,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        (ROOT / "var").mkdir(exist_ok=True)
        print(f"==> Starting the action server on port {args.action_port}", flush=True)
        servers.start_actions()
        if args.shell:
            return subprocess.call(servers.rasa_command(shell=True), cwd=ROOT)
        print(f"==> Starting the Rasa server on port {args.rasa_port} (loading the model)",
              flush=True)
        servers.start_rasa()
        servers.start_web()
        print(
            "\n"
            f"  Demo chat page:   http://localhost:{args.web_port}/\n"
            f"  REST webhook:     {servers.rasa_url}/webhooks/rest/webhook\n"
            f"  Socket.IO:        {servers.rasa_url}/socket.io\n"
            f"  SMS (Twilio):     {servers.rasa_url}/webhooks/twilio/webhook\n"
            f"  Action server:    http://localhost:{args.action_port}/webhook\n"
            f"{sms_token_note(os.environ)}"
            "\n  The assistant is ready. Press Ctrl-C to stop.\n",
            flush=True,
        )
        while not stopping.is_set():
            if any(process.poll() is not None for process in servers.processes):
                print("A server stopped unexpectedly; shutting down.", flush=True)
                return 1
            stopping.wait(0.5)
        print("\n==> Stopping", flush=True)
        return 0
    except RuntimeError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    finally:
        servers.stop()


if __name__ == "__main__":
    sys.exit(main())
