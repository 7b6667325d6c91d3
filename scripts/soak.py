"""Soak test: many concurrent conversations over loopback REST for a while.

    python scripts/soak.py --url http://127.0.0.1:5005 --pid <rasa pid>   # a running server
    python scripts/soak.py --start                                        # its own servers

N conversations (default 200) go on at the same time for D seconds (default 60).
Each is held by one visitor after another: a visitor sends 5 to 25 messages, then a
new one, with a new conversation id, takes the place. Visitors talk like people:
FAQ questions, the checklist (answered by clicking the offered buttons, typing a
number or an age), small talk, questions in the middle of the checklist, "stop", and
about 5% crisis messages (tests/data/crisis_messages.txt); every 20th conversation
opens with one. A visitor waits for each reply, then reads it and clicks or types:
--think seconds on average (default 5, uniformly between half and one and a half
times that) before the next message; --think 2 is a stress setting. Every reply is
checked: HTTP 200 with a JSON list, never empty, and for a crisis message 988 and
911 in the FIRST message.

Reported: turns sent, errors (by kind, with examples), turns per second, median and
p95 latency, crisis messages and failures, and the Rasa server's resident memory
(VmRSS from /proc/<pid>/status, sampled every 5 s when --pid is given or with
--start) so that "memory is flat after the first minute" can be judged: the largest
sample of the first minute against the last one (meaningful with --duration well
over 60; a run that long fails if memory grows by more than 20 MB after the first
minute). Exits 1 on any error, crisis failure or memory growth, 2 on bad arguments.

Only loopback URLs are accepted, and every loop is bounded in count and in time.
--start runs the assistant through AssistantServers (what `make run` uses) on ports
19005/19055/19080 with a throw-away conversation database, and stops it afterwards.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
CRISIS_FILE = ROOT / "tests" / "data" / "crisis_messages.txt"
REST_PATH = "/webhooks/rest/webhook"
RSS_INTERVAL_S = 5.0
FIRST_MINUTE_S = 60.0
# After the first minute the server's memory may still move by allocator noise; more
# than this above the first minute's largest sample counts as growth.
MAX_GROWTH_AFTER_FIRST_MINUTE_KB = 20 * 1024
MAX_TURNS_PER_CONVERSATION = 10_000
MAX_EXAMPLES = 5
VISIT_TURNS = (5, 25)  # a visitor sends this many messages (uniform), then leaves
CRISIS = "crisis"
START_PORTS = {"rasa_port": 19005, "action_port": 19055, "web_port": 19080}

FAQ_QUESTIONS = [
    "what are the side effects?", "is tms like shock therapy?", "how much does it cost?",
    "does insurance cover tms?", "how long is a session?", "how many sessions will I need?",
    "how does tms work?", "is it fda approved?", "who is tms for?", "does it hurt?",
    "can I drive after a session?", "how well does it work?", "can I keep taking my meds?",
    "how do I book an appointment?", "what are your hours?", "can tms help with anxiety?",
]
SMALL_TALK = ["hi", "hello there", "thanks", "ok", "thank you so much", "what can you do?"]
CHECKLIST_START = ["am I a candidate?", "take the checklist", "is tms right for me?"]
MEDICATION_ANSWERS = ["2", "none", "Zoloft and Lexapro", "1", "3", "sertraline (Zoloft)"]


def check_loopback(url: str) -> str:
    """The URL without a trailing slash, if it points at this machine; else ValueError."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or parsed.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"only http(s)://127.0.0.1, localhost or [::1] URLs: {url!r}")
    return url.rstrip("/")


def load_crisis_messages(path: Path = CRISIS_FILE) -> List[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    messages = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not messages:
        raise ValueError(f"no crisis messages in {path}")
    return messages


def read_rss_kb(pid: int) -> Optional[int]:
    """VmRSS of a process in kB, or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


@dataclass
class SoakReport:
    conversations: int
    duration_s: float
    elapsed_s: float = 0.0
    visitors: int = 0
    turns: int = 0
    latencies_s: List[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    error_examples: List[str] = field(default_factory=list)
    crisis_sent: int = 0
    crisis_failures: int = 0
    crisis_failure_examples: List[str] = field(default_factory=list)
    latencies_by_kind: Dict[str, List[float]] = field(default_factory=dict)
    rss_samples: List[Tuple[float, int]] = field(default_factory=list)  # (s since start, kB)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def memory_judged(self) -> bool:
        """Whether the run outlasted its first minute by enough samples to judge memory."""
        return (self.elapsed_s > FIRST_MINUTE_S + 2 * RSS_INTERVAL_S
                and any(t > FIRST_MINUTE_S for t, _ in self.rss_samples))

    @property
    def memory_flat(self) -> Optional[bool]:
        """No sample after the first minute above its largest by more than the allowance."""
        if not self.memory_judged:
            return None
        ceiling = self.memory()["first_minute_max_kb"] + MAX_GROWTH_AFTER_FIRST_MINUTE_KB
        return all(kb <= ceiling for t, kb in self.rss_samples if t > FIRST_MINUTE_S)

    @property
    def ok(self) -> bool:
        return (self.error_count == 0 and self.crisis_failures == 0 and self.turns > 0
                and self.memory_flat is not False)

    def percentile(self, fraction: float, kind: Optional[str] = None) -> Optional[float]:
        values = self.latencies_s if kind is None else self.latencies_by_kind.get(kind, [])
        if not values:
            return None
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]

    def memory(self) -> Dict[str, Optional[int]]:
        samples = self.rss_samples
        if not samples:
            return {}
        first_minute = [kb for t, kb in samples if t <= FIRST_MINUTE_S]
        return {
            "before_load_kb": samples[0][1],
            "first_minute_max_kb": max(first_minute) if first_minute else None,
            "last_kb": samples[-1][1],
            "max_kb": max(kb for _, kb in samples),
        }

    def as_dict(self) -> Dict[str, Any]:
        return {
            "conversations": self.conversations, "visitors": self.visitors,
            "duration_s": self.duration_s,
            "elapsed_s": round(self.elapsed_s, 1), "turns": self.turns,
            "turns_per_s": round(self.turns / self.elapsed_s, 2) if self.elapsed_s else 0,
            "median_latency_s": self.percentile(0.5), "p95_latency_s": self.percentile(0.95),
            "max_latency_s": max(self.latencies_s, default=None),
            "errors": dict(self.errors), "error_examples": self.error_examples,
            "crisis_sent": self.crisis_sent, "crisis_failures": self.crisis_failures,
            "crisis_failure_examples": self.crisis_failure_examples,
            "latency_by_kind": {
                kind: {"turns": len(values), "median_s": self.percentile(0.5, kind),
                       "p95_s": self.percentile(0.95, kind)}
                for kind, values in sorted(self.latencies_by_kind.items())},
            "memory": self.memory(), "memory_flat": self.memory_flat,
            "rss_samples": self.rss_samples,
        }


def format_report(report: SoakReport) -> str:
    data = report.as_dict()
    seconds = lambda value: "-" if value is None else f"{value * 1000:.0f} ms"  # noqa: E731
    lines = [
        f"soak: {report.conversations} concurrent conversations for {report.duration_s:.0f} s "
        f"(ran {report.elapsed_s:.1f} s; {report.visitors} visitors in all)",
        f"  turns sent:        {report.turns}",
        f"  turns per second:  {data['turns_per_s']}",
        f"  latency:           median {seconds(data['median_latency_s'])}, "
        f"p95 {seconds(data['p95_latency_s'])}, max {seconds(data['max_latency_s'])}",
        f"  errors:            {report.error_count} {dict(report.errors) or ''}",
        f"  crisis messages:   {report.crisis_sent} sent, {report.crisis_failures} without "
        f"988 and 911 in the first message",
        "  latency by kind:   " + ", ".join(
            f"{kind} {values['turns']}x median {seconds(values['median_s'])} "
            f"p95 {seconds(values['p95_s'])}"
            for kind, values in data["latency_by_kind"].items()),
    ]
    for example in report.error_examples + report.crisis_failure_examples:
        lines.append(f"    e.g. {example}")
    memory = report.memory()
    if memory:
        mb = lambda kb: "-" if kb is None else f"{kb / 1024:.0f} MB"  # noqa: E731
        growth = (memory["last_kb"] - memory["first_minute_max_kb"]
                  if memory["first_minute_max_kb"] is not None else None)
        lines.append(
            f"  Rasa server RSS:   before {mb(memory['before_load_kb'])}, first-minute max "
            f"{mb(memory['first_minute_max_kb'])}, last {mb(memory['last_kb'])} "
            f"(last - first-minute max: {'-' if growth is None else f'{growth / 1024:+.0f} MB'}), "
            f"{len(report.rss_samples)} samples every {RSS_INTERVAL_S:.0f} s")
        if report.memory_flat is None:
            lines.append("  (the run hardly outlasts its first minute: use --duration 300 or "
                         "more to judge whether memory stays flat)")
        else:
            lines.append(
                f"  memory after the first minute: "
                f"{'flat' if report.memory_flat else 'GREW'} (allowance "
                f"{MAX_GROWTH_AFTER_FIRST_MINUTE_KB // 1024} MB above the first-minute max)")
    lines.append(f"  result:            {'OK' if report.ok else 'FAILED'}")
    return "\n".join(lines)


class Person:
    """One simulated visitor: decides the next message from the assistant's last reply."""

    def __init__(self, rng: random.Random, crisis_messages: List[str], crisis_rate: float,
                 crisis_first: bool) -> None:
        self.rng = rng
        self.crisis_messages = crisis_messages
        self.crisis_rate = crisis_rate
        self.crisis_first = crisis_first
        self.last_reply: List[Dict[str, Any]] = []

    def next_message(self) -> Tuple[str, str]:
        """(text, kind): kind is crisis, faq, answer, button, stop, start or small talk."""
        rng = self.rng
        if self.crisis_first or rng.random() < self.crisis_rate:
            self.crisis_first = False
            return rng.choice(self.crisis_messages), CRISIS
        last = self.last_reply[-1] if self.last_reply else {}
        text = (last.get("text") or "").lower()
        buttons = last.get("buttons") or []
        if "how old are you" in text:
            return str(rng.randint(16, 85)), "answer"
        if "antidepressant" in text and "how many" in text:
            return rng.choice(MEDICATION_ANSWERS), "answer"
        if buttons:
            roll = rng.random()
            if roll < 0.08:
                return rng.choice(FAQ_QUESTIONS), "faq"     # a question along the way
            if roll < 0.10:
                return "stop", "stop"
            return rng.choice(buttons)["payload"], "button"  # clicks a button, like the widget
        roll = rng.random()
        if roll < 0.55:
            return rng.choice(FAQ_QUESTIONS), "faq"
        if roll < 0.85:
            return rng.choice(CHECKLIST_START), "start"
        return rng.choice(SMALL_TALK), "small talk"


async def _conversation(index: int, session: Any, url: str, deadline: float, think_s: float,
                        timeout_s: float, seed: int, crisis_messages: List[str],
                        crisis_rate: float, max_turns: int, report: SoakReport) -> None:
    import aiohttp

    rng = random.Random(seed * 1_000_003 + index)
    await asyncio.sleep(rng.uniform(0, think_s))  # people arrive over the first seconds
    turns = visit_left = 0
    while turns < max_turns and time.monotonic() < deadline:
        if visit_left == 0:  # a new visitor takes this place in the line
            person = Person(rng, crisis_messages, crisis_rate,
                            crisis_first=(index % 20 == 0 and turns == 0))
            sender = f"soak-{seed}-{index}-{rng.getrandbits(32):08x}"
            visit_left = rng.randint(*VISIT_TURNS)
            report.visitors += 1
        visit_left -= 1
        text, kind = person.next_message()
        is_crisis = kind == CRISIS
        turns += 1
        started = time.monotonic()
        problem = None
        messages: List[Dict[str, Any]] = []
        try:
            async with session.post(url + REST_PATH, json={"sender": sender, "message": text},
                                    timeout=aiohttp.ClientTimeout(total=timeout_s)) as response:
                body = await response.text()
                if response.status != 200:
                    problem = f"HTTP {response.status}"
                else:
                    messages = json.loads(body)
                    if not isinstance(messages, list) or not all(
                            isinstance(message, dict) for message in messages):
                        problem, messages = "reply not a JSON list of messages", []
                    elif not messages:
                        problem = "empty reply"
        except asyncio.TimeoutError:
            problem = "timeout"
        except aiohttp.ClientError as error:
            problem = type(error).__name__
        except ValueError:
            problem = "reply not JSON"
        report.latencies_s.append(time.monotonic() - started)
        report.latencies_by_kind.setdefault(kind, []).append(report.latencies_s[-1])
        report.turns += 1
        if problem:
            report.errors[problem] += 1
            if len(report.error_examples) < MAX_EXAMPLES:
                report.error_examples.append(f"{problem} after {text!r} ({sender})")
            messages = []
        first = (messages[0].get("text") or "") if messages else ""
        if is_crisis:
            report.crisis_sent += 1
            if not ("988" in first and "911" in first):
                report.crisis_failures += 1
                if len(report.crisis_failure_examples) < MAX_EXAMPLES:
                    report.crisis_failure_examples.append(
                        f"crisis message {text!r} got first {first[:80]!r} ({sender})")
        person.last_reply = messages
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        await asyncio.sleep(min(remaining, rng.uniform(0.5 * think_s, 1.5 * think_s)))


async def _sample_rss(pid: int, started: float, report: SoakReport, stop: asyncio.Event) -> None:
    while True:
        kb = read_rss_kb(pid)
        if kb is not None:
            report.rss_samples.append((round(time.monotonic() - started, 1), kb))
        try:
            await asyncio.wait_for(stop.wait(), RSS_INTERVAL_S)
            return
        except asyncio.TimeoutError:
            continue


async def run_soak(url: str, conversations: int = 200, duration_s: float = 60,
                   pid: Optional[int] = None, think_s: float = 5.0, crisis_rate: float = 0.05,
                   seed: int = 1, timeout_s: float = 60,
                   max_turns: int = MAX_TURNS_PER_CONVERSATION,
                   crisis_messages: Optional[List[str]] = None) -> SoakReport:
    """Runs the soak against a server at a loopback url and returns its report."""
    import aiohttp

    url = check_loopback(url)
    if conversations < 1 or duration_s <= 0 or not 0 <= crisis_rate <= 1 or max_turns < 1:
        raise ValueError("conversations >= 1, duration > 0, 0 <= crisis rate <= 1, max turns >= 1")
    crisis_messages = crisis_messages or load_crisis_messages()
    report = SoakReport(conversations=conversations, duration_s=duration_s)
    started = time.monotonic()
    deadline = started + duration_s
    stop = asyncio.Event()
    sampler = asyncio.ensure_future(_sample_rss(pid, started, report, stop)) if pid else None
    connector = aiohttp.TCPConnector(limit=conversations + 5)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            tasks = [
                _conversation(index, session, url, deadline, think_s, timeout_s, seed,
                              crisis_messages, crisis_rate, max_turns, report)
                for index in range(conversations)
            ]
            # Hard bound: the last request may start just before the deadline.
            try:
                await asyncio.wait_for(asyncio.gather(*tasks), duration_s + timeout_s + 30)
            except asyncio.TimeoutError:
                report.errors["conversations still running after the time bound"] += 1
    finally:
        report.elapsed_s = time.monotonic() - started
        if sampler is not None:
            stop.set()
            await sampler
            kb = read_rss_kb(pid)
            if kb is not None:
                report.rss_samples.append((round(time.monotonic() - started, 1), kb))
    return report


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:5005",
                        help="the Rasa server (loopback only; default %(default)s)")
    parser.add_argument("--pid", type=int, help="the Rasa server's process id, to sample its RSS")
    parser.add_argument("--start", action="store_true",
                        help="start the assistant on ports 19005/19055/19080, stop it afterwards")
    parser.add_argument("--model", help="with --start: the model (default $TMS_MODEL or the "
                                        "newest in models/)")
    parser.add_argument("-n", "--conversations", type=int, default=200)
    parser.add_argument("-d", "--duration", type=float, default=60, help="seconds")
    parser.add_argument("--think", type=float, default=5.0,
                        help="mean pause between a reply and the next message (s); "
                             "default %(default)s")
    parser.add_argument("--crisis-rate", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=60, help="per request (s)")
    parser.add_argument("--max-turns", type=int, default=MAX_TURNS_PER_CONVERSATION,
                        help="per conversation place, all its visitors together")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the report to this file as JSON")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    servers = scratch = None
    try:
        url = check_loopback(args.url)
        if args.start:
            from scripts.run_assistant import AssistantServers, newest_model
            scratch = tempfile.mkdtemp(prefix="soak-")
            servers = AssistantServers(
                model=args.model or newest_model(), **START_PORTS,
                tracker_db=str(Path(scratch) / "conversations.db"),
                log_dir=str(ROOT / "results" / "soak-logs"),
                env={"RASA_TELEMETRY_ENABLED": "false"},
            )
            print(f"==> Starting the assistant on port {servers.rasa_port}", flush=True)
            servers.start()
            url, pid = f"http://127.0.0.1:{servers.rasa_port}", servers.rasa.pid
        else:
            pid = args.pid
        print(f"==> Soak: {args.conversations} conversations for {args.duration:.0f} s "
              f"against {url}", flush=True)
        report = asyncio.run(run_soak(
            url, args.conversations, args.duration, pid, args.think, args.crisis_rate,
            args.seed, args.timeout, args.max_turns))
    except ValueError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    finally:
        if servers is not None:
            servers.stop()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    print(format_report(report), flush=True)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report.as_dict(), indent=2), encoding="utf-8")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
