"""`make run` itself: the launcher starts all three servers, prints the URLs, stops on Ctrl-C.

The launcher (scripts/run_assistant.py) runs here on spare ports, as a process of its
own, the way `make run` starts it; Ctrl-C is a SIGINT to it.
"""

import signal
import socket
import subprocess
import sys
import time

import requests
import yaml

from scripts.run_assistant import ROOT, newest_model

PORTS = {"rasa": 16005, "action": 16055, "web": 16080}
READY_LINE = "The assistant is ready"
START_TIMEOUT_S = 240


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def read_until_ready(process: subprocess.Popen) -> str:
    """The launcher's output up to its ready line (or until it exits or times out)."""
    output, deadline = [], time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output.append(line)
        if READY_LINE in line:
            break
    return "".join(output)


def test_the_launcher_serves_everything_and_stops_cleanly_on_ctrl_c():
    assert all(port_is_free(port) for port in PORTS.values()), "spare ports are taken"
    process = subprocess.Popen(
        [sys.executable, "scripts/run_assistant.py", "--model", newest_model(),
         "--rasa-port", str(PORTS["rasa"]), "--action-port", str(PORTS["action"]),
         "--web-port", str(PORTS["web"])],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        output = read_until_ready(process)
        assert READY_LINE in output, output
        for url in (f"http://localhost:{PORTS['web']}/",
                    f"http://localhost:{PORTS['rasa']}/webhooks/rest/webhook",
                    f"http://localhost:{PORTS['rasa']}/socket.io",
                    f"http://localhost:{PORTS['rasa']}/webhooks/twilio/webhook"):
            assert url in output, f"{url} is not printed"

        clinic = yaml.safe_load((ROOT / "clinic.yml").read_text(encoding="utf-8"))
        page = requests.get(f"http://localhost:{PORTS['web']}/", timeout=10)
        assert page.status_code == 200 and clinic["name"] in page.text
        assert requests.get(f"http://localhost:{PORTS['rasa']}/webhooks/rest/",
                            timeout=10).status_code == 200
        assert requests.get(f"http://localhost:{PORTS['action']}/health",
                            timeout=10).status_code == 200

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        time.sleep(0.5)
        assert [port for port, free in
                ((p, port_is_free(p)) for p in PORTS.values()) if not free] == [], \
            "a server outlived Ctrl-C"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_make_trains_only_when_models_holds_no_model_for_the_current_data():
    up_to_date = subprocess.run(["make", "-q", "train"], cwd=ROOT, capture_output=True)
    assert up_to_date.returncode == 0, "the model trained for this data counts as current"
    changed = subprocess.run(["make", "-n", "train", "MODEL_HASH=000000000000"], cwd=ROOT,
                             capture_output=True, text=True)
    assert "Training models/tms-000000000000" in changed.stdout
