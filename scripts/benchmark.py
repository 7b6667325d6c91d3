"""`make bench`: what the assistant costs to train and to run, next to Rasa's stock config.

Two configurations are trained on the SAME data and domain (a snapshot of data/ and
domain/ taken when the run starts) and served the same way (AssistantServers from
scripts/run_assistant.py: the project's endpoints, channels and action server):

- project: config.yml;
- stock:   benchmarks/stock_config.yml, what `rasa init` gives (DIET, TED, ...).

Measured, each over real servers on loopback only (ports 20005/20055 for the project,
20105/20155 for stock):

- training time (`rasa train` through scripts/train_with_speedups.py, as `make train`
  runs it, wall clock, fresh output folder and empty training cache each time) and
  model size (the .tar.gz);
- cold start: from launching `rasa run` until the first REST message is answered
  (the action server is already up);
- latency per turn, one conversation at a time, over a fixed mix of FAQ questions
  (tests/data/ordinary_messages.txt), checklist turns and crisis messages
  (tests/data/crisis_messages.txt): median and p95;
- throughput with 40 concurrent conversations (asyncio + aiohttp, at most 40 requests
  in flight, bounded in count and time), and the number of errors;
- peak RSS of the Rasa server and of the action server (/proc/<pid>/status: VmHWM,
  and VmRSS polled over the process tree).

Serving measurements are repeated --repeats times (default 3; a fresh server each
time, project and stock alternating), training --train-repeats times (default 2: the
stock training takes minutes); the report gives medians and every figure as a ratio
project/stock. Writes results/bench/report.md, report.json and chart.png.
"""

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.evaluate import git_revision, machine_facts, now_iso, run_logged, shown  # noqa: E402
from scripts.run_assistant import AssistantServers, stop  # noqa: E402

OUT_DIR = ROOT / "results" / "bench"
FAQ_FILE = ROOT / "tests" / "data" / "ordinary_messages.txt"
CRISIS_FILE = ROOT / "tests" / "data" / "crisis_messages.txt"

CONFIGS = {
    "project": {"config": "config.yml", "rasa_port": 20005, "action_port": 20055},
    "stock": {"config": "benchmarks/stock_config.yml", "rasa_port": 20105, "action_port": 20155},
}
WEB_PORT = 20080  # only named in the servers' CORS origin; no demo page is started

# Two checklist conversations, start to outcome. The start messages are those of the
# test stories (tests/test_stories/test_checklist.yml); the answers are checklist
# replies from tests/data/ordinary_messages.txt, in the order the form asks
# (diagnosis, antidepressants, side effects, therapy, metal, heart device, seizures,
# bipolar, pregnancy, age).
CHECKLISTS = [
    ["i'd like to find out if i could be a candidate", "yes",
     "Prozac, Wellbutrin and Effexor", "yeah I think so", "yes", "no metal implants",
     "nope", "no", "no", "no, I'm not pregnant", "I'm 52"],
    ["check if i qualify", "yes, my psychiatrist is Dr. Patel", "Zoloft and Lexapro",
     "no", "yes", "no", "no", "I had one seizure as a kid from a high fever", "not sure",
     "no", "34"],
]
FAQ_COUNT = 40          # FAQ questions used (those with a "?" in tests/data/ordinary_messages.txt)
CRISIS_COUNT = 20       # crisis messages used, evenly spaced over tests/data/crisis_messages.txt
CRISIS_MARKER = "988"   # the crisis resources reply names the 988 lifeline

TRAIN_TIMEOUT_S = 5400  # the stock config (DIET, TED) took 28 min on an AMD EPYC, over 30 on a Xeon
START_TIMEOUT_S = 300
REQUEST_TIMEOUT_S = 60
LATENCY_PHASE_TIMEOUT_S = 600
RSS_POLL_S = 0.2

# Targets for the project's configuration.
TARGETS = {
    "train_s": ("<=", 60.0, "training <= 60 s"),
    "cold_start_s": ("<=", 12.0, "cold start <= 12 s"),
    "latency_p95_ms": ("<=", 25.0, "latency p95 <= 25 ms"),
    "throughput_tps": (">=", 80.0, ">= 80 turns/s with 40 conversations, 0 errors"),
    "rasa_peak_rss_mb": ("<=", 600.0, "peak Rasa RSS <= 600 MB"),
}

METRICS = [  # key, label, unit, better
    ("train_s", "training time", "s", "lower"),
    ("model_mb", "model size", "MB", "lower"),
    ("cold_start_s", "cold start", "s", "lower"),
    ("latency_median_ms", "latency median", "ms", "lower"),
    ("latency_p95_ms", "latency p95", "ms", "lower"),
    ("throughput_tps", "throughput (40 conv.)", "turns/s", "higher"),
    ("errors", "errors under load", "", "lower"),
    ("rasa_peak_rss_mb", "peak RSS Rasa server", "MB", "lower"),
    ("actions_peak_rss_mb", "peak RSS action server", "MB", "lower"),
]


def log(message: str) -> None:
    print(message, flush=True)


def median(values: Sequence[float]) -> Optional[float]:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """Linear-interpolated percentile (as numpy's default)."""
    data = sorted(values)
    if not data:
        return None
    position = (len(data) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (position - low)


# --------------------------------------------------------------------------- the mix


def read_lines(path: Path) -> List[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.strip().startswith("#")]


def build_mix(seed: int = 7) -> List[List[Tuple[str, str]]]:
    """One round of conversations, each a list of (kind, text); the same every run.

    8 FAQ conversations of 5 questions, the 2 checklists, 10 conversations with an
    FAQ question and then a crisis message, 10 that open with a crisis message:
    30 conversations, 92 turns (50 FAQ, 22 checklist, 20 crisis).
    """
    faq = [line for line in read_lines(FAQ_FILE) if "?" in line][:FAQ_COUNT]
    crisis_all = read_lines(CRISIS_FILE)
    step = max(1, len(crisis_all) // CRISIS_COUNT)
    crisis = crisis_all[::step][:CRISIS_COUNT]
    if len(faq) < FAQ_COUNT or len(crisis) < CRISIS_COUNT:
        raise SystemExit("tests/data/ has too few FAQ questions or crisis messages")
    conversations: List[List[Tuple[str, str]]] = []
    for i in range(8):
        conversations.append([("faq", q) for q in faq[5 * i: 5 * i + 5]])
    for checklist in CHECKLISTS:
        conversations.append([("checklist", text) for text in checklist])
    for i in range(10):
        conversations.append([("faq", faq[(7 * i + 3) % len(faq)]), ("crisis", crisis[i])])
    for i in range(10, 20):
        conversations.append([("crisis", crisis[i])])
    random.Random(seed).shuffle(conversations)
    return conversations


WARMUP = [[("faq", "How does TMS actually work?"), ("checklist", "check if i qualify"),
           ("checklist", "yes"), ("crisis", "I want to end my life")]]


# --------------------------------------------------------------------------- processes


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def child_env() -> Dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def proc_status(pid: int) -> Dict[str, int]:
    """VmRSS and VmHWM of a process in kB (empty when it is gone)."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                values[key] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return values


def descendants(pid: int) -> List[int]:
    found, queue = [], [pid]
    while queue and len(found) < 256:
        current = queue.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
            found.extend(children)
            queue.extend(children)
    return found


class RssMonitor:
    """Polls the RSS of a process and its children until stopped."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pid: Optional[int] = None
        self.peak_tree_kb = 0
        self.hwm_kb = 0
        self.rss_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self, pid: int) -> "RssMonitor":
        self.pid = pid
        self._thread.start()
        return self

    def sample(self) -> None:
        if self.pid is None:
            return
        main = proc_status(self.pid)
        if not main:
            return
        self.hwm_kb = max(self.hwm_kb, main.get("VmHWM", 0))
        self.rss_kb = main.get("VmRSS", 0)
        tree = self.rss_kb + sum(proc_status(c).get("VmRSS", 0) for c in descendants(self.pid))
        self.peak_tree_kb = max(self.peak_tree_kb, tree)

    def _run(self) -> None:
        while not self._stop.wait(RSS_POLL_S):
            self.sample()

    def stop(self) -> None:
        self.sample()  # the last VmHWM, before the process ends
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    @property
    def peak_mb(self) -> float:
        return round(max(self.hwm_kb, self.peak_tree_kb) / 1024, 1)


# --------------------------------------------------------------------------- training


def snapshot_inputs(workdir: Path) -> Tuple[Path, Path, str]:
    """Copies data/ and domain/ so both configurations train on exactly the same files."""
    data = workdir / "inputs" / "data"
    domain = workdir / "inputs" / "domain"
    shutil.copytree(ROOT / "data", data)
    shutil.copytree(ROOT / "domain", domain)
    digest = hashlib.sha256()
    for path in sorted(list(data.rglob("*")) + list(domain.rglob("*"))):
        if path.is_file():
            digest.update(str(path.relative_to(workdir)).encode())
            digest.update(path.read_bytes())
    return data, domain, digest.hexdigest()[:12]


def training_progress(log_file: Path) -> str:
    """The component being trained and its epoch progress, from rasa's output."""
    try:
        with open(log_file, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 200_000))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    components = re.findall(r"Starting to train component '(\w+)'", tail)
    epochs = re.findall(r"Epochs:\s+(\d+)%", tail)
    parts = []
    if components:
        parts.append(components[-1])
        last_component = tail.rfind("Starting to train component")
        last_epoch = tail.rfind("Epochs:")
        if epochs and last_epoch > last_component:
            parts.append(f"epochs {epochs[-1]}%")
    elif "validat" in tail.lower():
        parts.append("validating data")
    return ", ".join(parts)


def train(name: str, config: str, data: Path, domain: Path, workdir: Path, log_dir: Path,
          run: int, runs: int) -> Dict[str, Any]:
    out = workdir / f"train-{name}-{run}"
    cache = workdir / f"cache-{name}-{run}"
    out.mkdir()
    cache.mkdir()
    log_file = log_dir / f"train-{name}-{run}.log"
    command = [sys.executable, "-m", "scripts.train_with_speedups", "--config", str(ROOT / config),
               "--domain", str(domain), "--data", str(data), "--out", str(out),
               "--fixed-model-name", f"bench-{name}"]
    env = {**child_env(), "RASA_CACHE_DIRECTORY": str(cache)}
    log(f"[train {run}/{runs}] {name}: rasa train --config {config} (log: {shown(log_file)})")

    def report(elapsed: float) -> None:
        progress = training_progress(log_file)
        log(f"    ... training {name} ({run}/{runs}): {elapsed:.0f} s"
            f"{', ' + progress if progress else ''}")

    try:
        returncode, seconds = run_logged(command, log_file, env, TRAIN_TIMEOUT_S, 15, report)
    except TimeoutError:
        raise RuntimeError(f"training {name} took over {TRAIN_TIMEOUT_S} s")
    model = out / f"bench-{name}.tar.gz"
    if returncode != 0 or not model.is_file():
        raise RuntimeError(f"training {name} failed (exit {returncode}); see {log_file}")
    shutil.rmtree(cache, ignore_errors=True)
    size_mb = round(model.stat().st_size / 1e6, 2)
    log(f"[train {run}/{runs}] {name}: {seconds:.1f} s, model {size_mb} MB")
    return {"seconds": round(seconds, 2), "model_mb": size_mb, "model": str(model)}


# --------------------------------------------------------------------------- HTTP


def post_blocking(url: str, sender: str, text: str, timeout: float) -> Tuple[int, Any]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read() or b"null")


def measure_cold_start(servers: AssistantServers, log_file: Path) -> Tuple[subprocess.Popen, float]:
    """Launches `rasa run` and times it until the first REST message gets an answer."""
    url = f"{servers.rasa_url}/webhooks/rest/webhook"
    sender = f"bench-cold-{uuid.uuid4().hex[:8]}"
    command = servers.rasa_command()
    started = time.monotonic()
    with open(log_file, "ab") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, cwd=ROOT, stdout=output,
                                   stderr=subprocess.STDOUT, env={**child_env(), **servers.env})
    servers.rasa = process
    deadline = started + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Rasa server exited ({process.returncode}); see {log_file}")
        try:
            status, reply = post_blocking(url, sender, "hello", timeout=30)
            if status == 200 and isinstance(reply, list) and reply:
                return process, time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the Rasa server did not answer within {START_TIMEOUT_S} s")


class Client:
    """REST conversations over one aiohttp session (keep-alive, bounded)."""

    def __init__(self, url: str, limit: int) -> None:
        import aiohttp

        self.url = url
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=limit),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
        )

    async def turn(self, sender: str, text: str) -> Dict[str, Any]:
        started = time.perf_counter()
        try:
            async with self.session.post(self.url, json={"sender": sender, "message": text}) as response:
                status = response.status
                reply = await response.json(content_type=None) if status == 200 else None
        except Exception as error:  # noqa: BLE001 - every failure counts as an error
            return {"ok": False, "error": type(error).__name__, "seconds": time.perf_counter() - started,
                    "answered": False, "texts": []}
        seconds = time.perf_counter() - started
        texts = [m.get("text") or "" for m in reply or [] if isinstance(m, dict)]
        return {"ok": status == 200, "error": None if status == 200 else f"HTTP {status}",
                "seconds": seconds, "answered": bool(reply), "texts": texts,
                "done": time.monotonic()}

    async def close(self) -> None:
        await self.session.close()


async def run_latency(url: str, rounds: int) -> Dict[str, Any]:
    """One conversation at a time, one turn at a time."""
    client = Client(url, limit=1)
    samples: Dict[str, List[float]] = {"faq": [], "checklist": [], "crisis": []}
    errors = unanswered = crisis_answered = crisis_turns = 0
    deadline = time.monotonic() + LATENCY_PHASE_TIMEOUT_S
    try:
        for conversation in WARMUP:
            sender = f"bench-warm-{uuid.uuid4().hex[:8]}"
            for _, text in conversation:
                await client.turn(sender, text)
        for _ in range(rounds):
            for conversation in build_mix():
                sender = f"bench-lat-{uuid.uuid4().hex[:8]}"
                for kind, text in conversation:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"latency phase over {LATENCY_PHASE_TIMEOUT_S} s")
                    result = await client.turn(sender, text)
                    if not result["ok"]:
                        errors += 1
                        continue
                    samples[kind].append(result["seconds"] * 1000)
                    unanswered += not result["answered"]
                    if kind == "crisis":
                        crisis_turns += 1
                        crisis_answered += any(CRISIS_MARKER in t for t in result["texts"][:1])
    finally:
        await client.close()
    every = samples["faq"] + samples["checklist"] + samples["crisis"]
    return {
        "turns": len(every),
        "median_ms": round(statistics.median(every), 2) if every else None,
        "p95_ms": round(percentile(every, 95), 2) if every else None,
        "by_kind": {kind: {"turns": len(v), "median_ms": round(statistics.median(v), 2) if v else None,
                           "p95_ms": round(percentile(v, 95), 2) if v else None}
                    for kind, v in samples.items()},
        "errors": errors,
        "unanswered": unanswered,
        "crisis_resources_first": f"{crisis_answered}/{crisis_turns}",
    }


async def run_throughput(url: str, concurrency: int, rounds: int, max_seconds: float) -> Dict[str, Any]:
    """`concurrency` conversations at once, each waiting for its answer before the next turn.

    The queue holds `rounds` copies of the mix (fresh conversation ids). Throughput is
    counted while all `concurrency` conversations are in flight: from the start until
    the queue first runs dry (the tail, when fewer remain, is reported apart).
    """
    queue: asyncio.Queue = asyncio.Queue()
    total_turns = 0
    for _ in range(rounds):
        for conversation in build_mix():
            queue.put_nowait(conversation)
            total_turns += len(conversation)
    client = Client(url, limit=concurrency)
    completions: List[float] = []
    errors: Dict[str, int] = {}
    counters = {"unanswered": 0, "ok": 0}
    drained_at: List[float] = []
    started = time.monotonic()
    deadline = started + max_seconds
    timed_out = False

    async def worker() -> None:
        nonlocal timed_out
        while True:
            if time.monotonic() > deadline:
                timed_out = True
                return
            try:
                conversation = queue.get_nowait()
            except asyncio.QueueEmpty:
                if not drained_at:
                    drained_at.append(time.monotonic())
                return
            sender = f"bench-load-{uuid.uuid4().hex[:10]}"
            for _, text in conversation:
                if time.monotonic() > deadline:
                    timed_out = True
                    return
                result = await client.turn(sender, text)
                if result["ok"]:
                    counters["ok"] += 1
                    counters["unanswered"] += not result["answered"]
                    completions.append(result["done"])
                else:
                    errors[result["error"]] = errors.get(result["error"], 0) + 1

    async def progress() -> None:
        while True:
            await asyncio.sleep(5)
            done = len(completions)
            log(f"    ... {done}/{total_turns} turns, {time.monotonic() - started:.0f} s, "
                f"{sum(errors.values())} errors")

    reporter = asyncio.create_task(progress())
    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        reporter.cancel()
        await client.close()
    finished = time.monotonic()
    window_end = drained_at[0] if drained_at else finished
    in_window = sum(1 for t in completions if t <= window_end)
    window = max(1e-6, window_end - started)
    return {
        "concurrency": concurrency,
        "turns_planned": total_turns,
        "turns_ok": counters["ok"],
        "seconds": round(finished - started, 2),
        "steady_seconds": round(window, 2),
        "throughput_tps": round(in_window / window, 2),
        "overall_tps": round(counters["ok"] / max(1e-6, finished - started), 2),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "unanswered": counters["unanswered"],
        "stopped_by_time_limit": timed_out,
    }


# --------------------------------------------------------------------------- serving


def bench_servers(name: str, model: str, tracker_db: Path, log_dir: Path) -> AssistantServers:
    """A config's servers on its own ports, with a conversation database of their own."""
    spec = CONFIGS[name]
    return AssistantServers(
        model=model, rasa_port=spec["rasa_port"], action_port=spec["action_port"],
        web_port=WEB_PORT, tracker_db=str(tracker_db), log_dir=str(log_dir),
    )


def check_serves(model: str, workdir: Path, log_dir: Path) -> None:
    """Starts the servers on a freshly trained project model and stops them at the first answer.

    Run before the stock config's hour of training, so that a problem with serving shows in
    seconds, not after the hour (a fresh checkout once failed here).
    """
    servers = bench_servers("project", model, workdir / "conversations-check.db",
                            log_dir / "serve-check")
    try:
        servers.start_actions()
        _, cold = measure_cold_start(servers, log_dir / "serve-check" / "rasa.log")
        log(f"    the project model answers ({cold:.1f} s from launch; not counted)")
    finally:
        servers.stop()


def serve_and_measure(name: str, model: str, workdir: Path, log_dir: Path, run: int, runs: int,
                      args: argparse.Namespace) -> Dict[str, Any]:
    spec = CONFIGS[name]
    servers = bench_servers(name, model, workdir / f"conversations-{name}-{run}.db",
                            log_dir / f"serve-{name}")
    rasa_rss, actions_rss = RssMonitor("rasa"), RssMonitor("actions")
    load_before = round(os.getloadavg()[0], 2)
    url = f"{servers.rasa_url}/webhooks/rest/webhook"
    try:
        servers.start_actions()
        actions_rss.start(servers.actions.pid)
        log(f"[serve {run}/{runs}] {name}: starting the Rasa server on port {spec['rasa_port']}")
        process, cold = measure_cold_start(servers, log_dir / f"serve-{name}" / "rasa.log")
        rasa_rss.start(process.pid)
        log(f"[serve {run}/{runs}] {name}: cold start {cold:.2f} s; "
            f"latency, one conversation at a time ({args.latency_rounds} x 92 turns)")
        latency = asyncio.run(run_latency(url, args.latency_rounds))
        log(f"[serve {run}/{runs}] {name}: latency median {latency['median_ms']} ms, "
            f"p95 {latency['p95_ms']} ms; throughput with {args.concurrency} conversations "
            f"({args.throughput_rounds} x 92 turns, at most {args.throughput_seconds:.0f} s)")
        load = asyncio.run(run_throughput(url, args.concurrency, args.throughput_rounds,
                                          args.throughput_seconds))
        rasa_rss.stop()
        actions_rss.stop()
        result = {
            "cold_start_s": round(cold, 2),
            "latency": latency,
            "load": load,
            "rasa_peak_rss_mb": rasa_rss.peak_mb,
            "rasa_rss_end_mb": round(rasa_rss.rss_kb / 1024, 1),
            "actions_peak_rss_mb": actions_rss.peak_mb,
            "load_average_1min_before": load_before,
        }
        log(f"[serve {run}/{runs}] {name}: {load['throughput_tps']} turns/s "
            f"({load['errors']} errors), peak RSS Rasa {result['rasa_peak_rss_mb']} MB, "
            f"actions {result['actions_peak_rss_mb']} MB")
        return result
    finally:
        rasa_rss.stop()
        actions_rss.stop()
        servers.stop()


# --------------------------------------------------------------------------- summary


def summarise(training: Dict[str, List[Dict]], serving: Dict[str, List[Dict]]) -> Dict[str, Dict]:
    summary = {}
    for name in CONFIGS:
        runs = serving.get(name, [])
        trains = training.get(name, [])
        summary[name] = {
            "train_s": median([t["seconds"] for t in trains]),
            "model_mb": median([t["model_mb"] for t in trains]),
            "cold_start_s": median([r["cold_start_s"] for r in runs]),
            "latency_median_ms": median([r["latency"]["median_ms"] for r in runs]),
            "latency_p95_ms": median([r["latency"]["p95_ms"] for r in runs]),
            "throughput_tps": median([r["load"]["throughput_tps"] for r in runs]),
            "errors": sum(r["load"]["errors"] + r["latency"]["errors"] for r in runs) if runs else None,
            "rasa_peak_rss_mb": median([r["rasa_peak_rss_mb"] for r in runs]),
            "actions_peak_rss_mb": median([r["actions_peak_rss_mb"] for r in runs]),
        }
        for kind in ("faq", "checklist", "crisis"):
            for stat in ("median_ms", "p95_ms"):
                summary[name][f"latency_{kind}_{stat}"] = median(
                    [r["latency"]["by_kind"][kind][stat] for r in runs])
    ratios = {}
    for key, *_ in METRICS:
        project, stock = summary["project"].get(key), summary["stock"].get(key)
        if project is None or stock is None:
            ratios[key] = None
        elif stock == 0:
            ratios[key] = None if project else 1.0
        else:
            ratios[key] = round(project / stock, 3)
    summary["ratio_project_over_stock"] = ratios
    return summary


def check_targets(values: Dict[str, Any], serving_runs: List[Dict]) -> List[Dict[str, Any]]:
    rows = []
    for key, (op, limit, label) in TARGETS.items():
        value = values.get(key)
        if value is None:
            met = None
        elif op == "<=":
            met = value <= limit
        else:
            met = value >= limit
        if key == "throughput_tps" and value is not None:
            met = met and values.get("errors") == 0
        rows.append({"metric": key, "target": label, "value": value, "met": met})
    return rows


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        text = f"{value:.1f}" if abs(value) >= 100 else f"{value:.2f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def verdict(met: Optional[bool]) -> str:
    return "not measured" if met is None else ("met" if met else "NOT MET")


def write_chart(summary: Dict[str, Dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 3, figsize=(13, 10))
    for ax, (key, label, unit, better) in zip(axes.flat, METRICS):
        project, stock = summary["project"].get(key), summary["stock"].get(key)
        values = [project or 0, stock or 0]
        bars = ax.bar(["project", "stock"], values, color=["#2a7ab9", "#b0b0b0"])
        for bar, value in zip(bars, (project, stock)):
            ax.annotate(fmt(value, unit), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=9)
        ratio = summary["ratio_project_over_stock"].get(key)
        ax.set_title(f"{label}\nproject/stock = {fmt(ratio)} ({better} is better)", fontsize=10)
        if key in TARGETS:
            limit = TARGETS[key][1]
            ax.axhline(limit, color="firebrick", linestyle="--", linewidth=1)
            ax.annotate(f"target {TARGETS[key][0]} {limit:g}", (1.45, limit), color="firebrick",
                        fontsize=8, ha="right", va="bottom")
        ax.set_ylim(0, max(values + [TARGETS.get(key, (0, 0))[1]]) * 1.25 or 1)
        ax.set_ylabel(unit)
    fig.suptitle("Project config vs Rasa's stock config (same data and domain; medians)",
                 fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_markdown(report: Dict[str, Any], path: Path) -> None:
    machine = report["machine"]
    summary = report["summary"]
    settings = report["settings"]
    lines = [
        "# Benchmark: project config vs Rasa's stock config",
        "",
        f"- date: {report['date']}",
        f"- machine: {machine['nproc']} cores (`nproc`), {machine['ram_gb']} GB RAM, "
        f"{machine['cpu_model']}; {machine['os']}, Python {machine['python']}",
        f"- code: {report['git']}; data/ + domain/ snapshot sha256 {report['inputs_sha256_12']}",
        f"- configs: project `config.yml`, stock `benchmarks/stock_config.yml` "
        "(what `rasa init` gives), trained on the same data and domain",
        f"- repeats: serving {settings['repeats']} (fresh servers each time, project and stock "
        f"alternating), training {settings['train_repeats']}; figures are medians over the repeats",
        f"- took {report['seconds'] / 60:.1f} min; load average (1/5/15 min) "
        f"{' / '.join(map(str, report['load_average_start']))} at the start, "
        f"{' / '.join(map(str, report['load_average_end']))} at the end (well above 0 at the "
        "start means other work shared the cores)",
        "",
        "## Targets (project)",
        "",
        "| target | project | | stock (for reference) |",
        "| --- | --- | --- | --- |",
    ]
    units = {key: unit for key, _, unit, _ in METRICS}
    stock_targets = {row["metric"]: row for row in report["targets_stock"]}
    for row in report["targets"]:
        stock_row = stock_targets[row["metric"]]
        extra = ""
        if row["metric"] == "throughput_tps":
            extra = f", {summary['project']['errors']} errors"
            stock_extra = f", {summary['stock']['errors']} errors"
        else:
            stock_extra = ""
        lines.append(f"| {row['target']} | {fmt(row['value'], units[row['metric']])}{extra} | "
                     f"{verdict(row['met'])} | {fmt(stock_row['value'], units[row['metric']])}"
                     f"{stock_extra} ({verdict(stock_row['met'])}) |")
    lines += [
        "",
        "## Results (medians)",
        "",
        "| measure | project | stock | project/stock |",
        "| --- | --- | --- | --- |",
    ]
    for key, label, unit, better in METRICS:
        lines.append(f"| {label} ({better} is better) | {fmt(summary['project'][key], unit)} | "
                     f"{fmt(summary['stock'][key], unit)} | "
                     f"{fmt(summary['ratio_project_over_stock'][key])} |")
    lines += ["", "Latency by kind of turn (median / p95, ms):", "",
              "| turn | project | stock |", "| --- | --- | --- |"]
    for kind in ("faq", "checklist", "crisis"):
        cells = [f"{fmt(summary[n][f'latency_{kind}_median_ms'])} / "
                 f"{fmt(summary[n][f'latency_{kind}_p95_ms'])}" for n in ("project", "stock")]
        lines.append(f"| {kind} | {cells[0]} | {cells[1]} |")
    lines += ["", "![chart](chart.png)", "", "## Every run", "",
              "| config | training runs (s) | model (MB) |", "| --- | --- | --- |"]
    for name in CONFIGS:
        trains = report["training"].get(name, [])
        lines.append(f"| {name} | {', '.join(fmt(t['seconds']) for t in trains) or 'not trained here'} | "
                     f"{', '.join(fmt(t['model_mb']) for t in trains) or 'n/a'} |")
    lines += ["", "| config | run | cold start (s) | latency median / p95 (ms) | turns/s (40 conv.) | "
              "errors | unanswered | crisis replies led by 988 | peak RSS Rasa / actions (MB) |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name in CONFIGS:
        for index, run in enumerate(report["serving"].get(name, []), 1):
            latency, load = run["latency"], run["load"]
            lines.append(
                f"| {name} | {index} | {fmt(run['cold_start_s'])} | {fmt(latency['median_ms'])} / "
                f"{fmt(latency['p95_ms'])} | {fmt(load['throughput_tps'])}"
                f"{' (time limit)' if load['stopped_by_time_limit'] else ''} | "
                f"{load['errors'] + latency['errors']} | {load['unanswered'] + latency['unanswered']} | "
                f"{latency['crisis_resources_first']} | {fmt(run['rasa_peak_rss_mb'])} / "
                f"{fmt(run['actions_peak_rss_mb'])} |")
    lines += [
        "",
        "## How it is measured",
        "",
        "- **Training**: wall clock of `rasa train --config <config> --domain <snapshot>/domain "
        "--data <snapshot>/data` (data validation included; for both configs through "
        "`scripts/train_with_speedups.py`, as `make train` does), into a fresh "
        "output folder with an empty training cache (`RASA_CACHE_DIRECTORY`), so nothing is "
        f"reused between runs. Repeated {settings['train_repeats']} times per config, fewer than "
        "the serving measurements because the stock training takes minutes. **Model size**: the "
        "`.tar.gz`.",
        "- **Servers**: `scripts/run_assistant.py`'s AssistantServers, i.e. what `make run` "
        "starts (project endpoints: SQLite tracker store in a fresh file per run, the clinic "
        "response generator, the action server), on 127.0.0.1 only: ports "
        f"{CONFIGS['project']['rasa_port']}/{CONFIGS['project']['action_port']} (project) and "
        f"{CONFIGS['stock']['rasa_port']}/{CONFIGS['stock']['action_port']} (stock).",
        "- **Cold start**: from launching `rasa run` (the action server already up) until the "
        "first REST message (`hello`) gets a non-empty answer, polled every 50 ms.",
        f"- **Latency**: client-side time of each REST turn, one conversation at a time, over "
        f"{settings['latency_rounds']} rounds of a fixed mix of 30 conversations / 92 turns: "
        "8 conversations of 5 FAQ questions, 2 complete checklists (11 turns each, through the "
        "action server), 10 with an FAQ question then a crisis message, 10 opening with a "
        "crisis message (50 FAQ, 22 checklist, 20 crisis turns; FAQ questions and crisis "
        "messages from `tests/data/`, checklist answers from `tests/data/ordinary_messages.txt`, "
        "never `tests/heldout/`). A 4-turn warm-up is not counted. p95 is interpolated.",
        f"- **Throughput**: {settings['concurrency']} conversations at once (asyncio + aiohttp, at "
        f"most {settings['concurrency']} requests in flight, each conversation waits for its "
        f"answer before its next turn), {settings['throughput_rounds']} copies of the mix "
        f"({settings['throughput_rounds'] * 92} turns, at most {settings['throughput_seconds']:.0f} s). "
        "Turns per second are counted while all conversations are in flight (until the queue "
        "first runs dry); `overall_tps` in report.json includes the tail. **Errors**: failed "
        "requests (exceptions, timeouts of 60 s, non-200 answers) under load and in the latency "
        "runs; empty answers are counted apart as *unanswered*.",
        "- **Peak RSS**: the kernel's high-water mark (VmHWM in /proc/<pid>/status) of the Rasa "
        "server and of the action server over the whole session (start, latency, load), with "
        f"VmRSS of each process tree polled every {RSS_POLL_S} s as a check.",
        "- The load generator runs on the same machine as both servers, so under load it "
        "competes with them for the cores.",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- main


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="serving repeats (default 3)")
    parser.add_argument("--train-repeats", type=int, default=2,
                        help="training repeats per config (default 2)")
    parser.add_argument("--project-model", help="skip training: serve this project model")
    parser.add_argument("--stock-model", help="skip training: serve this stock model")
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--latency-rounds", type=int, default=2,
                        help="rounds of the 92-turn mix for latency (default 2)")
    parser.add_argument("--throughput-rounds", type=int, default=10,
                        help="rounds of the 92-turn mix under load (default 10)")
    parser.add_argument("--throughput-seconds", type=float, default=180,
                        help="time limit of each load run (default 180)")
    parser.add_argument("--out", default=str(OUT_DIR), help="output folder (default results/bench)")
    args = parser.parse_args(argv)
    if bool(args.project_model) != bool(args.stock_model):
        parser.error("--project-model and --stock-model go together")
    for name in ("repeats", "train_repeats", "concurrency", "latency_rounds", "throughput_rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    conversations = args.throughput_rounds * len(build_mix())
    if conversations < args.concurrency:
        # Turns per second are counted while all conversations are in flight: with fewer
        # conversations than the concurrency that moment never comes and the rate reads 0.
        parser.error(f"--throughput-rounds {args.throughput_rounds} gives {conversations} "
                     f"conversations, fewer than --concurrency {args.concurrency}")
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    started = time.monotonic()
    busy = [p for spec in CONFIGS.values() for p in (spec["rasa_port"], spec["action_port"])
            if not port_free(p)]
    if busy:
        log(f"ERROR: port(s) {', '.join(map(str, busy))} already in use; stop what uses them first")
        return 2
    out_dir = Path(args.out).resolve()
    log_dir = out_dir / "logs"
    if log_dir.exists():
        shutil.rmtree(log_dir)
    log_dir.mkdir(parents=True)
    workdir = Path(tempfile.mkdtemp(prefix="tms-bench-"))
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    report: Dict[str, Any] = {
        "date": now_iso(),
        "machine": machine_facts(),
        "git": git_revision(),
        "settings": {k: getattr(args, k) for k in ("repeats", "train_repeats", "concurrency",
                                                     "latency_rounds", "throughput_rounds",
                                                     "throughput_seconds")},
        "configs": {name: spec["config"] for name, spec in CONFIGS.items()},
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "training": {name: [] for name in CONFIGS},
        "serving": {name: [] for name in CONFIGS},
    }
    mix = build_mix()
    report["mix"] = {"conversations": len(mix), "turns": sum(len(c) for c in mix),
                     "turns_by_kind": {k: sum(1 for c in mix for kind, _ in c if kind == k)
                                       for k in ("faq", "checklist", "crisis")}}
    log(f"==> Benchmark: project vs stock, {args.repeats} serving repeats, "
        f"{0 if args.project_model else args.train_repeats} training repeats; work dir {workdir}")
    try:
        data, domain, digest = snapshot_inputs(workdir)
        report["inputs_sha256_12"] = digest
        models = {}
        if args.project_model:
            models = {"project": str(Path(args.project_model).resolve()),
                      "stock": str(Path(args.stock_model).resolve())}
            report["settings"]["train_repeats"] = 0
            for name, model in models.items():
                report["training"][name] = []
                report.setdefault("given_models", {})[name] = {
                    "path": model, "model_mb": round(Path(model).stat().st_size / 1e6, 2)}
        else:
            log("==> Training (the stock config takes minutes)")
            for run in range(1, args.train_repeats + 1):
                for name, spec in CONFIGS.items():
                    result = train(name, spec["config"], data, domain, workdir, log_dir,
                                   run, args.train_repeats)
                    report["training"][name].append(
                        {"seconds": result["seconds"], "model_mb": result["model_mb"]})
                    models[name] = result["model"]
                    if name == "project" and run == 1:
                        log("==> Checking that the servers start before the stock training")
                        check_serves(result["model"], workdir, log_dir)
        log("==> Serving")
        for run in range(1, args.repeats + 1):
            for name in CONFIGS:
                report["serving"][name].append(
                    serve_and_measure(name, models[name], workdir, log_dir, run, args.repeats, args))
    except KeyboardInterrupt:
        log("Interrupted; servers stopped, nothing written.")
        return 130
    except RuntimeError as error:  # a server or a training that failed: its log says why
        log(f"FAILED: {error}; nothing written.")
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    summary = summarise(report["training"], report["serving"])
    if args.project_model:
        for name in CONFIGS:
            summary[name]["model_mb"] = report["given_models"][name]["model_mb"]
        ratio = summary["project"]["model_mb"] / summary["stock"]["model_mb"]
        summary["ratio_project_over_stock"]["model_mb"] = round(ratio, 3)
    report["summary"] = summary
    report["targets"] = check_targets(summary["project"], report["serving"]["project"])
    report["targets_stock"] = check_targets(summary["stock"], report["serving"]["stock"])
    report["seconds"] = round(time.monotonic() - started, 1)
    report["load_average_end"] = [round(x, 2) for x in os.getloadavg()]

    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    write_chart(summary, out_dir / "chart.png")
    write_markdown(report, out_dir / "report.md")

    units = {key: unit for key, _, unit, _ in METRICS}
    log("")
    log("Benchmark (medians)            project        stock          project/stock")
    for key, label, unit, _ in METRICS:
        log(f"  {label:<28} {fmt(summary['project'][key], unit):<14} "
            f"{fmt(summary['stock'][key], unit):<14} {fmt(summary['ratio_project_over_stock'][key])}")
    log("Targets (project)")
    for row in report["targets"]:
        extra = f", {summary['project']['errors']} errors" if row["metric"] == "throughput_tps" else ""
        log(f"  {row['target']:<50} {fmt(row['value'], units[row['metric']])}{extra}  {verdict(row['met'])}")
    log(f"  report: {shown(out_dir)}/report.md, report.json, chart.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
