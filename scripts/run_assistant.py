"""`make run`: starts the action server, the Rasa server and the demo page, then waits.

Prints the URLs once everything answers, and on Ctrl-C (or SIGTERM) stops all of it
cleanly. The end-to-end tests start the assistant through this same script, on
other ports, so what is tested is what `make run` runs.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.serve_web import start_web_server  # noqa: E402

STARTUP_TIMEOUT_S = 180
STOP_TIMEOUT_S = 10


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="trained model (.tar.gz)")
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--action-port", type=int, default=5055)
    parser.add_argument("--web-port", type=int, default=8080)
    parser.add_argument("--endpoints", default="endpoints.yml")
    parser.add_argument("--credentials", default="credentials.yml")
    parser.add_argument("--log-dir", help="write each server's output to a file here")
    parser.add_argument(
        "--api-token", default=os.environ.get("RASA_API_TOKEN"),
        help="enable Rasa's HTTP API, protected by this token (off when unset)",
    )
    parser.add_argument("--no-action-server", action="store_true",
                        help="do not start the action server (fault tests)")
    parser.add_argument("--shell", action="store_true",
                        help="chat in this terminal (rasa shell) instead of serving")
    return parser.parse_args(argv)


def endpoints_for(args: argparse.Namespace, run_dir: Path) -> Path:
    """The endpoints file, pointed at this run's action server port."""
    source = ROOT / args.endpoints
    if args.action_port == 5055:
        return source
    text = source.read_text(encoding="utf-8").replace(
        "localhost:5055", f"localhost:{args.action_port}"
    )
    target = run_dir / f"endpoints.{args.rasa_port}.yml"
    target.write_text(text, encoding="utf-8")
    return target


def output_for(args: argparse.Namespace, name: str) -> Optional[IO]:
    if not args.log_dir:
        return None
    Path(args.log_dir).mkdir(parents=True, exist_ok=True)
    return open(Path(args.log_dir) / f"{name}.log", "ab")


def wait_until_up(url: str, process: subprocess.Popen, name: str) -> None:
    """Polls url until it answers 200, failing early if the process dies."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with code {process.returncode} during start-up")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.25)
    raise SystemExit(f"{name} did not answer at {url} within {STARTUP_TIMEOUT_S} s")


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


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    run_dir = ROOT / "var"
    run_dir.mkdir(exist_ok=True)
    python = sys.executable
    processes: List[subprocess.Popen] = []
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    try:
        if not args.no_action_server:
            print(f"==> Starting the action server on port {args.action_port}", flush=True)
            actions = subprocess.Popen(
                [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(args.action_port)],
                stdout=output_for(args, "actions"), stderr=subprocess.STDOUT,
            )
            processes.append(actions)
            wait_until_up(f"http://localhost:{args.action_port}/health", actions, "action server")

        rasa_command = [
            python, "-m", "rasa", "shell" if args.shell else "run",
            "--model", args.model,
            "--endpoints", str(endpoints_for(args, run_dir)),
        ]
        if args.shell:
            shell = subprocess.Popen(rasa_command)
            processes.append(shell)
            shell.wait()
            return 0

        rasa_command += [
            "--credentials", args.credentials,
            "--port", str(args.rasa_port),
            "--cors", f"http://localhost:{args.web_port}",
        ]
        if args.api_token:
            rasa_command += ["--enable-api", "--auth-token", args.api_token]
        print(f"==> Starting the Rasa server on port {args.rasa_port} (loading the model)", flush=True)
        rasa = subprocess.Popen(rasa_command, stdout=output_for(args, "rasa"), stderr=subprocess.STDOUT)
        processes.append(rasa)
        wait_until_up(f"http://localhost:{args.rasa_port}/webhooks/rest/", rasa, "Rasa server")

        web = start_web_server(args.web_port, rasa_url=f"http://localhost:{args.rasa_port}")
        print(
            "\n"
            f"  Demo chat page:   http://localhost:{args.web_port}/\n"
            f"  REST webhook:     http://localhost:{args.rasa_port}/webhooks/rest/webhook\n"
            f"  Socket.IO:        http://localhost:{args.rasa_port}/socket.io\n"
            f"  Action server:    http://localhost:{args.action_port}/webhook\n"
            "\n  The assistant is ready. Press Ctrl-C to stop.\n",
            flush=True,
        )
        while not stopping.is_set():
            if any(process.poll() is not None for process in processes):
                print("A server stopped unexpectedly; shutting down.", flush=True)
                return 1
            stopping.wait(0.5)
        web.shutdown()
        print("\n==> Stopping", flush=True)
        return 0
    finally:
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())
