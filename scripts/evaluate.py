"""`make eval`: how well a trained model understands messages it has never seen.

Loads a trained model (--model, default the newest in models/) with Rasa's Agent and
runs every message of the held-out set (tests/heldout/: none of its messages is in
the training data, but what it missed at first contact was fixed by families in the
lexicon and the data, so it now guards against regressions) through the whole NLU
pipeline, FallbackClassifier and CrisisSafetyNet included:

- intents (tests/heldout/intents.yml): accuracy and macro-F1 of the final intent
  (nlu_fallback, or crisis for a message that is not one, counts as wrong), the ten
  most confused intent pairs, a confusion matrix;
- crisis (tests/heldout/crisis.txt, tests/heldout/risky_ordinary.txt): recall over
  crisis messages and false-positive rate over ordinary messages that look risky
  ("this commute is murder"), for each detector the safety net reports
  (`crisis_detection`: lexicon, classifier) and for the pipeline (intent == crisis,
  i.e. either detector), listing every missed crisis message and every false alarm;
- 5-fold cross-validation of the NLU pipeline on data/nlu (the pipeline of config.yml
  without FallbackClassifier and safety net, written to results/eval/cv/config.yml), through
  `rasa test nlu --cross-validation`.

Writes results/eval/report.md, report.json, confusion_matrix.png, and prints a
summary against the targets. --quick measures only the crisis figures (no intents,
no cross-validation); --fail-under-targets exits 1 when crisis recall is below 100 %
or the false-positive rate above --max-false-alarms (the 1 % target by default);
--set measures another folder of the same three files, such as tests/dev.
"""

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.run_assistant import newest_model  # noqa: E402

HELDOUT = ROOT / "tests" / "heldout"
# Each evaluation set is a folder holding these three files (--set picks another one,
# such as tests/dev, the development set the lexicon and data were tuned on).
INTENTS_NAME = "intents.yml"
CRISIS_NAME = "crisis.txt"
ORDINARY_NAME = "risky_ordinary.txt"
PROJECT_CONFIG = ROOT / "config.yml"
NLU_DATA = ROOT / "data" / "nlu"
OUT_DIR = ROOT / "results" / "eval"

CRISIS_INTENT = "crisis"
FALLBACK_INTENT = "nlu_fallback"
DETECTION_KEY = "crisis_detection"
CV_FOLDS = 5
CV_TIMEOUT_S = 3600

# The targets, checked in the summary (and by --fail-under-targets for the first two).
TARGET_CRISIS_RECALL = 1.0
TARGET_FALSE_POSITIVE_RATE = 0.01
TARGET_ACCURACY = 0.95
TARGET_CV_MACRO_F1 = 0.95


# --------------------------------------------------------------------------- helpers


def log(message: str) -> None:
    print(message, flush=True)


def machine_facts() -> Dict[str, Any]:
    """What the figures were measured on: cores, RAM, CPU model, OS, Python."""
    try:
        cores = len(os.sched_getaffinity(0))  # what `nproc` prints
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count()
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": cores,
        "ram_gb": ram_gb,
        "cpu_model": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def git_revision() -> str:
    """The commit the figures belong to, marked when the working tree has changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
            text=True, timeout=10, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
            timeout=10,
        ).stdout.strip()
        return f"{commit}{' + uncommitted changes' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def model_facts(path: Path) -> Dict[str, Any]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    modified = dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    return {
        "path": shown(path),
        "size_mb": round(path.stat().st_size / 1e6, 2),
        "modified": modified.isoformat(timespec="seconds"),
        "sha256_12": digest,
    }


def read_lines(path: Path) -> List[str]:
    """One message a line; blank lines and # comments are skipped."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def read_intent_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) for every example of a Rasa NLU YAML file."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def pct(value: Optional[float], digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def ratio(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


def shown(path: Path) -> str:
    """A path as the report shows it: relative to the project when inside it."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------------- parsing


class Parser:
    """The trained model's NLU pipeline, as the Rasa server runs it."""

    def __init__(self, model: Path) -> None:
        import logging
        import warnings

        from rasa.core.agent import Agent
        from rasa.utils.log_utils import configure_structlog

        # Rasa logs every parsed message at debug level; keep the output to the summary.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        configure_structlog(logging.WARNING)
        logging.getLogger("rasa").setLevel(logging.WARNING)
        os.chdir(ROOT)  # the project's components are imported from the project root
        self.agent = Agent.load(str(model))
        self.loop = asyncio.new_event_loop()

    def parse(self, text: str) -> Dict[str, Any]:
        result = self.loop.run_until_complete(self.agent.parse_message(text))
        intent = (result.get("intent") or {}).get("name")
        detection = result.get(DETECTION_KEY) or {}
        return {
            "text": text,
            "intent": intent,
            "confidence": round(float((result.get("intent") or {}).get("confidence") or 0), 4),
            "lexicon": bool(detection.get("lexicon")),
            "classifier": bool(detection.get("classifier")),
            "classifier_confidence": detection.get("classifier_confidence"),
            "benign_context": bool(detection.get("benign_context")),
            "has_detection": DETECTION_KEY in result,
            # The classifier's own top intent (the ranking without nlu_fallback).
            "ranked_first": next(
                (f"{entry.get('name')} ({float(entry.get('confidence') or 0):.2f})"
                 for entry in result.get("intent_ranking") or []
                 if entry.get("name") != FALLBACK_INTENT),
                None,
            ),
        }

    def parse_all(self, texts: Sequence[str], label: str) -> List[Dict[str, Any]]:
        results = []
        step = max(1, len(texts) // 4)
        for index, text in enumerate(texts, 1):
            results.append(self.parse(text))
            if index % step == 0 or index == len(texts):
                log(f"    {label}: {index}/{len(texts)} messages parsed")
        return results

    def close(self) -> None:
        self.loop.close()


# --------------------------------------------------------------------------- intents


def evaluate_intents(parser: Parser, out_dir: Path, data_dir: Path) -> Dict[str, Any]:
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    intents_file = data_dir / INTENTS_NAME
    examples = read_intent_examples(intents_file)
    log(f"==> Intents: {len(examples)} messages from {shown(intents_file)}")
    parsed = parser.parse_all([text for text, _ in examples], "intents")
    y_true = [intent for _, intent in examples]
    y_pred = [result["intent"] or "None" for result in parsed]

    # Macro-F1 over the intents of the held-out set: a message sent to nlu_fallback
    # (or crisis) lowers the recall of its true intent; those labels get no F1 of their own.
    labels = sorted(set(y_true))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    per_intent = {
        label: {
            "precision": round(float(p), 4), "recall": round(float(r), 4),
            "f1": round(float(f), 4), "support": int(s),
        }
        for label, p, r, f, s in zip(labels, precision, recall, f1, support)
    }
    accuracy = accuracy_score(y_true, y_pred)
    macro_f1 = f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)

    pairs = Counter((t, p) for t, p in zip(y_true, y_pred) if t != p)
    examples_of = {}
    for (text, truth), predicted in zip(examples, y_pred):
        if truth != predicted:
            examples_of.setdefault((truth, predicted), []).append(text)
    confused = [
        {"true": t, "predicted": p, "count": n, "examples": examples_of[(t, p)][:3]}
        for (t, p), n in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))[:10]
    ]
    errors = [
        {"text": text, "true": truth, "predicted": result["intent"],
         "confidence": result["confidence"]}
        for (text, truth), result in zip(examples, parsed)
        if truth != result["intent"]
    ]
    png = out_dir / "confusion_matrix.png"
    plot_confusion_matrix(y_true, y_pred, png)
    return {
        "file": shown(intents_file),
        "messages": len(examples),
        "intents": len(labels),
        "correct": sum(t == p for t, p in zip(y_true, y_pred)),
        "accuracy": round(float(accuracy), 4),
        "macro_f1": round(float(macro_f1), 4),
        "macro_f1_labels": "intents of the held-out set (predicted nlu_fallback/crisis lower their recall)",
        "predicted_nlu_fallback": y_pred.count(FALLBACK_INTENT),
        "predicted_crisis": y_pred.count(CRISIS_INTENT),
        "crisis_false_alarms": [
            {"text": text, "true": truth, "lexicon": r["lexicon"], "classifier": r["classifier"]}
            for (text, truth), r in zip(examples, parsed)
            if r["intent"] == CRISIS_INTENT and truth != CRISIS_INTENT
        ],
        "most_confused_pairs": confused,
        "per_intent": per_intent,
        "errors": errors,
        "confusion_matrix_png": shown(png),
    }


def plot_confusion_matrix(y_true: List[str], y_pred: List[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import confusion_matrix

    true_labels = sorted(set(y_true))
    extra = sorted(set(y_pred) - set(true_labels))  # nlu_fallback, crisis, ...
    columns = true_labels + extra
    matrix = confusion_matrix(y_true, y_pred, labels=columns)[: len(true_labels)]
    row_totals = matrix.sum(axis=1, keepdims=True).clip(min=1)
    shares = matrix / row_totals

    width = max(8.0, 0.42 * len(columns) + 4)
    height = max(6.0, 0.36 * len(true_labels) + 3)
    fig, ax = plt.subplots(figsize=(width, height))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if matrix[i, j]:
                colour = "white" if shares[i, j] > 0.6 else ("firebrick" if i != j else "black")
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                        color=colour)
    ax.set_xticks(np.arange(len(columns)))
    ax.set_xticklabels(columns, rotation=70, ha="right", fontsize=7)
    ax.set_yticks(np.arange(len(true_labels)))
    ax.set_yticklabels(true_labels, fontsize=7)
    ax.set_xlabel("predicted intent (after fallback and crisis safety net)")
    ax.set_ylabel("true intent")
    accuracy = sum(t == p for t, p in zip(y_true, y_pred)) / max(1, len(y_true))
    ax.set_title(f"Held-out intents: {len(y_true)} messages, accuracy {100 * accuracy:.1f}% "
                 "(colour = share of the row, red = errors)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------------------- crisis


def evaluate_crisis(parser: Parser, data_dir: Path) -> Dict[str, Any]:
    crisis_file, ordinary_file = data_dir / CRISIS_NAME, data_dir / ORDINARY_NAME
    crisis = read_lines(crisis_file)
    ordinary = read_lines(ordinary_file)
    log(f"==> Held-out crisis messages: {len(crisis)} crisis, {len(ordinary)} risky ordinary")
    crisis_results = parser.parse_all(crisis, "crisis")
    ordinary_results = parser.parse_all(ordinary, "risky ordinary")
    if not all(r["has_detection"] for r in crisis_results + ordinary_results):
        log("    WARNING: the model's parse output has no crisis_detection flags "
            "(no CrisisSafetyNet?); the per-detector figures are then 0")

    def fired(result: Dict[str, Any], detector: str) -> bool:
        if detector == "either":
            return result["intent"] == CRISIS_INTENT
        return result[detector]

    detectors = ("lexicon", "classifier", "either")
    recall = {d: ratio(sum(fired(r, d) for r in crisis_results), len(crisis)) for d in detectors}
    fp_rate = {d: ratio(sum(fired(r, d) for r in ordinary_results), len(ordinary))
               for d in detectors}
    counts = {
        d: {"detected": sum(fired(r, d) for r in crisis_results),
            "false_alarms": sum(fired(r, d) for r in ordinary_results)}
        for d in detectors
    }
    flags_disagree = [
        r["text"] for r in crisis_results + ordinary_results
        if (r["lexicon"] or r["classifier"]) != (r["intent"] == CRISIS_INTENT)
    ]

    def entry(result: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "text": result["text"],
            "intent": result["intent"],
            "lexicon": result["lexicon"],
            "classifier": result["classifier"],
            "classifier_top_intent": result["ranked_first"],
            "classifier_confidence": result["classifier_confidence"],
        }

    return {
        "files": {"crisis": shown(crisis_file), "ordinary": shown(ordinary_file)},
        "crisis_messages": len(crisis),
        "ordinary_messages": len(ordinary),
        "recall": {d: round(v, 4) if v is not None else None for d, v in recall.items()},
        "false_positive_rate": {d: round(v, 4) if v is not None else None
                                for d, v in fp_rate.items()},
        "counts": counts,
        "missed": [entry(r) for r in crisis_results if r["intent"] != CRISIS_INTENT],
        "false_alarms": [entry(r) for r in ordinary_results if r["intent"] == CRISIS_INTENT],
        "missed_by_lexicon": [r["text"] for r in crisis_results if not r["lexicon"]],
        "missed_by_classifier": [r["text"] for r in crisis_results if not r["classifier"]],
        "false_alarms_by_lexicon": [r["text"] for r in ordinary_results if r["lexicon"]],
        "false_alarms_by_classifier": [r["text"] for r in ordinary_results if r["classifier"]],
        "flags_disagree_with_intent": flags_disagree,
    }


# --------------------------------------------------------------------------- CV


LEFT_OUT_OF_CV = ("FallbackClassifier", "components.crisis_safety_net.CrisisSafetyNet")


def cv_config() -> Dict[str, Any]:
    """config.yml's NLU pipeline without FallbackClassifier and CrisisSafetyNet, and no
    policies: what the classifier learned from data/nlu and nothing else. Derived from
    config.yml at every run, so the cross-validated pipeline is always the one in use."""
    project = yaml.safe_load(PROJECT_CONFIG.read_text(encoding="utf-8")) or {}
    pipeline = [component for component in project.get("pipeline") or []
                if component.get("name") not in LEFT_OUT_OF_CV]
    return {"recipe": project.get("recipe", "default.v1"), "language": project.get("language", "en"),
            "assistant_id": f"{project.get('assistant_id', 'assistant')}-nlu-cv",
            "pipeline": pipeline, "policies": []}


def run_logged(command: Sequence[str], log_file: Path, env: Dict[str, str], timeout_s: float,
               report_every_s: float, report: Callable[[float], None]) -> Tuple[int, float]:
    """Runs a long command with its output in log_file, calling report(elapsed seconds)
    every report_every_s; kills it and raises TimeoutError past timeout_s (or kills it
    on any other interruption). Returns its exit code and how long it took."""
    started = time.monotonic()
    with open(log_file, "wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output,
                                   stderr=subprocess.STDOUT, env=env)
        try:
            while True:
                try:
                    process.wait(timeout=report_every_s)
                    break
                except subprocess.TimeoutExpired:
                    elapsed = time.monotonic() - started
                    if elapsed > timeout_s:
                        raise TimeoutError(f"{command[:4]} took over {timeout_s} s")
                    report(elapsed)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    return process.returncode, time.monotonic() - started


def cross_validate(out_dir: Path, folds: int) -> Dict[str, Any]:
    cv_dir = out_dir / "cv"
    cv_dir.mkdir(parents=True, exist_ok=True)
    report_file = cv_dir / "intent_report.json"
    if report_file.exists():
        report_file.unlink()  # never read a previous run's figures
    config_file = cv_dir / "config.yml"
    config_file.write_text(yaml.safe_dump(cv_config(), sort_keys=False), encoding="utf-8")
    command = [
        sys.executable, "-m", "rasa", "test", "nlu", "--cross-validation",
        "--folds", str(folds), "--config", shown(config_file),
        "--nlu", str(NLU_DATA.relative_to(ROOT)), "--out", shown(cv_dir),
    ]
    log(f"==> {folds}-fold cross-validation of the NLU pipeline (a few minutes): "
        f"{' '.join(command[2:])}")
    log_file = out_dir / "cv.log"
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    try:
        returncode, seconds = run_logged(
            command, log_file, env, CV_TIMEOUT_S, 30,
            lambda elapsed: log(f"    cross-validation running: {elapsed:.0f} s"),
        )
    except TimeoutError:
        raise SystemExit(f"cross-validation took over {CV_TIMEOUT_S} s; see {log_file}")
    if returncode != 0 or not report_file.exists():
        raise SystemExit(f"cross-validation failed (exit {returncode}); see {log_file}")
    report = json.loads(report_file.read_text(encoding="utf-8"))
    per_intent = {
        name: values for name, values in report.items()
        if isinstance(values, dict) and "f1-score" in values
        and name not in ("macro avg", "weighted avg", "micro avg")
    }
    weakest = sorted(per_intent.items(), key=lambda item: item[1]["f1-score"])[:5]
    log(f"    done in {seconds:.0f} s")
    return {
        "command": " ".join(["rasa"] + command[3:]),
        "folds": folds,
        "config": shown(config_file),
        "seconds": round(seconds, 1),
        "accuracy": round(float(report["accuracy"]), 4),
        "macro_f1": round(float(report["macro avg"]["f1-score"]), 4),
        "weighted_f1": round(float(report["weighted avg"]["f1-score"]), 4),
        "messages": int(report["macro avg"]["support"]),
        "intents": len(per_intent),
        "weakest_intents": [
            {"intent": name, "f1": round(values["f1-score"], 4),
             "precision": round(values["precision"], 4), "recall": round(values["recall"], 4),
             "support": values["support"]}
            for name, values in weakest
        ],
        "intent_report": shown(report_file),
    }


# --------------------------------------------------------------------------- targets


def check_targets(report: Dict[str, Any]) -> List[Dict[str, Any]]:
    crisis = report["crisis"]
    intents = report.get("heldout_intents")
    cv = report.get("cross_validation")

    def row(name: str, target: str, value: Optional[float], met: Optional[bool], shown: str):
        return {"name": name, "target": target, "value": value, "met": met, "shown": shown}

    recall = crisis["recall"]["either"]
    fp = crisis["false_positive_rate"]["either"]
    rows = [
        row("crisis recall", "100%", recall,
            recall is not None and recall >= TARGET_CRISIS_RECALL,
            f"{pct(recall)} ({crisis['counts']['either']['detected']}/{crisis['crisis_messages']})"),
        row("crisis false-positive rate", "<= 1%", fp,
            fp is not None and fp <= TARGET_FALSE_POSITIVE_RATE,
            f"{pct(fp)} ({crisis['counts']['either']['false_alarms']}/{crisis['ordinary_messages']})"),
    ]
    if intents:
        rows.append(row("intent accuracy", ">= 95%", intents["accuracy"],
                        intents["accuracy"] >= TARGET_ACCURACY,
                        f"{pct(intents['accuracy'])} ({intents['correct']}/{intents['messages']})"))
    else:
        rows.append(row("intent accuracy", ">= 95%", None, None, "not measured (--quick)"))
    if cv:
        rows.append(row(f"{cv['folds']}-fold CV macro-F1", ">= 0.95", cv["macro_f1"],
                        cv["macro_f1"] >= TARGET_CV_MACRO_F1, f"{cv['macro_f1']:.3f}"))
    else:
        rows.append(row("5-fold CV macro-F1", ">= 0.95", None, None, "not measured (--quick or --no-cv)"))
    return rows


def verdict(met: Optional[bool]) -> str:
    return "not measured" if met is None else ("met" if met else "NOT MET")


# --------------------------------------------------------------------------- report


def write_markdown(report: Dict[str, Any], path: Path) -> None:
    machine = report["machine"]
    model = report["model"]
    lines = [
        "# Held-out evaluation" if report["set"] == shown(HELDOUT)
        else f"# Evaluation on `{report['set']}` (not the held-out set)",
        "",
        f"- date: {report['date']}",
        f"- set: `{report['set']}`",
        f"- machine: {machine['nproc']} cores (`nproc`), {machine['ram_gb']} GB RAM, "
        f"{machine['cpu_model']}; {machine['os']}, Python {machine['python']}",
        f"- model: `{model['path']}` ({model['size_mb']} MB, modified {model['modified']}, "
        f"sha256 {model['sha256_12']})",
        f"- code: {report['git']}",
        f"- mode: {'quick (held-out crisis figures only)' if report['quick'] else 'full'}; "
        f"took {report['seconds']} s",
        "",
        "Every message of the set goes through the whole NLU pipeline of the model "
        "(classifier, FallbackClassifier, CrisisSafetyNet); the final intent is what counts. "
        "No message of the held-out set (`tests/heldout/`) or of the development set "
        "(`tests/dev/`) is in the training data; what they missed at first contact was "
        "fixed with families of phrases and examples, so their figures now guard against "
        "regressions. Each set's first-contact figures are in `benchmarks/reports/`.",
        "",
        "## Targets",
        "",
        "| measure | target | value | |",
        "| --- | --- | --- | --- |",
    ]
    for target in report["targets"]:
        lines.append(f"| {target['name']} | {target['target']} | {target['shown']} | "
                     f"{verdict(target['met'])} |")

    crisis = report["crisis"]
    lines += [
        "",
        "## Crisis detection",
        "",
        f"{crisis['crisis_messages']} crisis messages (`{crisis['files']['crisis']}`), "
        f"{crisis['ordinary_messages']} ordinary messages that look risky "
        f"(`{crisis['files']['ordinary']}`). The pipeline answers with the crisis resources "
        "when either detector fires (intent `crisis`).",
        "",
        "| detector | recall | missed | false-positive rate | false alarms |",
        "| --- | --- | --- | --- | --- |",
    ]
    names = {"lexicon": "lexicon (`lexicons/crisis.yml`)",
             "classifier": "classifier (top intent `crisis`)",
             "either": "**either = pipeline (intent == crisis)**"}
    for detector in ("lexicon", "classifier", "either"):
        counts = crisis["counts"][detector]
        lines.append(
            f"| {names[detector]} | {pct(crisis['recall'][detector])} | "
            f"{crisis['crisis_messages'] - counts['detected']} | "
            f"{pct(crisis['false_positive_rate'][detector], 2)} | {counts['false_alarms']} |"
        )
    lines += ["", f"### Missed crisis messages ({len(crisis['missed'])})", ""]
    if crisis["missed"]:
        lines += ["| message | final intent | classifier's top intent (confidence) |",
                  "| --- | --- | --- |"]
        for miss in crisis["missed"]:
            lines.append(f"| {md_escape(miss['text'])} | {miss['intent']} | "
                         f"{miss['classifier_top_intent']} |")
    else:
        lines.append("None: every held-out crisis message was answered as a crisis.")
    lines += ["", f"### False alarms on risky ordinary messages ({len(crisis['false_alarms'])})", ""]
    if crisis["false_alarms"]:
        lines += ["| message | lexicon | classifier (confidence) |", "| --- | --- | --- |"]
        for alarm in crisis["false_alarms"]:
            lines.append(
                f"| {md_escape(alarm['text'])} | {'yes' if alarm['lexicon'] else 'no'} | "
                f"{'yes' if alarm['classifier'] else 'no'}"
                f"{' (%.2f)' % alarm['classifier_confidence'] if alarm['classifier'] else ''} |"
            )
    else:
        lines.append("None.")
    for key, title in (("missed_by_lexicon", "Crisis messages the lexicon alone misses"),
                       ("missed_by_classifier", "Crisis messages the classifier alone misses"),
                       ("false_alarms_by_lexicon", "Ordinary messages the lexicon alone flags"),
                       ("false_alarms_by_classifier", "Ordinary messages the classifier alone flags")):
        items = crisis[key]
        lines += ["", f"<details><summary>{title} ({len(items)})</summary>", ""]
        lines += [f"- {md_escape(text)}" for text in items] or ["- none"]
        lines += ["", "</details>"]
    if crisis["flags_disagree_with_intent"]:
        lines += ["", "**Warning:** for these messages the detector flags disagree with the "
                  "final intent: " + "; ".join(crisis["flags_disagree_with_intent"])]

    intents = report.get("heldout_intents")
    lines += ["", "## Held-out intents", ""]
    if intents:
        lines += [
            f"{intents['messages']} messages over {intents['intents']} intents "
            f"(`{intents['file']}`).",
            "",
            f"- accuracy: **{pct(intents['accuracy'])}** ({intents['correct']}/{intents['messages']})",
            f"- macro-F1: **{intents['macro_f1']:.3f}** (over the held-out intents; a message "
            "sent to `nlu_fallback` counts as wrong)",
            f"- sent to `nlu_fallback`: {intents['predicted_nlu_fallback']}; "
            f"turned into `crisis`: {intents['predicted_crisis']}",
            f"- confusion matrix: `{intents['confusion_matrix_png']}`",
            "",
            "### The 10 most confused pairs",
            "",
            "| true intent | predicted | count | examples |",
            "| --- | --- | --- | --- |",
        ]
        for pair in intents["most_confused_pairs"]:
            examples = "; ".join(md_escape(e) for e in pair["examples"])
            lines.append(f"| {pair['true']} | {pair['predicted']} | {pair['count']} | {examples} |")
        weakest = sorted(intents["per_intent"].items(), key=lambda item: item[1]["f1"])[:8]
        lines += ["", "### Weakest intents", "", "| intent | precision | recall | F1 | support |",
                  "| --- | --- | --- | --- | --- |"]
        for name, values in weakest:
            lines.append(f"| {name} | {values['precision']:.2f} | {values['recall']:.2f} | "
                         f"{values['f1']:.2f} | {values['support']} |")
        lines += ["", f"<details><summary>Every misclassified message ({len(intents['errors'])})"
                  "</summary>", "", "| message | true | predicted (confidence) |",
                  "| --- | --- | --- |"]
        for error in intents["errors"]:
            lines.append(f"| {md_escape(error['text'])} | {error['true']} | "
                         f"{error['predicted']} ({error['confidence']:.2f}) |")
        lines += ["", "</details>"]
    else:
        lines.append("Not measured (--quick).")

    cv = report.get("cross_validation")
    lines += ["", "## Cross-validation of the NLU pipeline", ""]
    if cv:
        lines += [
            f"`{cv['command']}` ({cv['seconds']} s). The pipeline of `config.yml` up to the "
            "classifier, without FallbackClassifier and CrisisSafetyNet; the figures are over "
            f"the accumulated test folds ({cv['messages']} messages, {cv['intents']} intents).",
            "",
            f"- macro-F1: **{cv['macro_f1']:.3f}**",
            f"- accuracy: **{pct(cv['accuracy'])}**",
            f"- weighted F1: {cv['weighted_f1']:.3f}",
            f"- full report: `{cv['intent_report']}`",
            "",
            "Rasa shuffles the folds without a fixed seed, so this figure moves by about "
            "+/- 0.01 from one run to the next.",
            "",
            "| weakest intents | F1 | precision | recall | support |",
            "| --- | --- | --- | --- | --- |",
        ]
        for weak in cv["weakest_intents"]:
            lines.append(f"| {weak['intent']} | {weak['f1']:.3f} | {weak['precision']:.3f} | "
                         f"{weak['recall']:.3f} | {weak['support']} |")
    else:
        lines.append("Not measured (--quick or --no-cv).")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def print_summary(report: Dict[str, Any], out_dir: Path) -> None:
    log("")
    log(f"Evaluation of {report['model']['path']} on {report['set']}")
    for target in report["targets"]:
        log(f"  {target['name']:<40} {target['shown']:<22} target {target['target']:<8} "
            f"{verdict(target['met'])}")
    crisis = report["crisis"]
    log(f"  crisis recall by detector: lexicon {pct(crisis['recall']['lexicon'])}, "
        f"classifier {pct(crisis['recall']['classifier'])}, either {pct(crisis['recall']['either'])}")
    log(f"  false positives by detector: lexicon {pct(crisis['false_positive_rate']['lexicon'], 2)}, "
        f"classifier {pct(crisis['false_positive_rate']['classifier'], 2)}, "
        f"either {pct(crisis['false_positive_rate']['either'], 2)}")
    for miss in crisis["missed"]:
        log(f"  MISSED crisis: {miss['text']!r} -> {miss['intent']}")
    for alarm in crisis["false_alarms"]:
        detectors = [d for d in ("lexicon", "classifier") if alarm[d]]
        log(f"  FALSE ALARM: {alarm['text']!r} ({' + '.join(detectors)})")
    if report.get("heldout_intents"):
        log(f"  held-out macro-F1 {report['heldout_intents']['macro_f1']:.3f}")
    log(f"  report: {shown(out_dir)}/report.md, report.json"
        f"{', confusion_matrix.png' if report.get('heldout_intents') else ''}")


# --------------------------------------------------------------------------- main


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="trained model (.tar.gz); default: newest in models/")
    parser.add_argument("--quick", action="store_true",
                        help="only the held-out crisis figures: no intents, no cross-validation")
    parser.add_argument("--fail-under-targets", action="store_true",
                        help="exit 1 when crisis recall < 100%% or false positives are above "
                             "--max-false-alarms")
    parser.add_argument("--max-false-alarms", type=float, default=TARGET_FALSE_POSITIVE_RATE,
                        help="with --fail-under-targets: the highest false-positive rate that "
                             "passes (default the 1%% target; `make test-crisis` passes the "
                             "regression ceiling, see the README)")
    parser.add_argument("--set", default=str(HELDOUT),
                        help="folder with intents.yml, crisis.txt, risky_ordinary.txt "
                             "(default tests/heldout; tests/dev is the development set)")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    parser.add_argument("--folds", type=int, default=CV_FOLDS, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(OUT_DIR), help="output folder (default results/eval)")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    started = time.monotonic()
    try:
        model = Path(args.model or newest_model()).resolve()
    except RuntimeError as missing:  # no trained model in models/
        raise SystemExit(str(missing))
    if not model.is_file():
        raise SystemExit(f"no such model: {model}")
    out_dir = Path(args.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = Path(args.set).resolve()
    needed = (CRISIS_NAME, ORDINARY_NAME) + (() if args.quick else (INTENTS_NAME,))
    missing = [name for name in needed if not (data_dir / name).is_file()]
    if missing:
        raise SystemExit(f"{data_dir} lacks {', '.join(missing)}")
    if args.quick:
        stale = out_dir / "confusion_matrix.png"
        if stale.exists():
            stale.unlink()  # it would belong to another run than this report

    report: Dict[str, Any] = {
        "date": now_iso(),
        "machine": machine_facts(),
        "model": model_facts(model),
        "git": git_revision(),
        "quick": args.quick,
        "set": shown(data_dir),
    }
    log(f"==> Loading {report['model']['path']}")
    parser = Parser(model)
    try:
        report["crisis"] = evaluate_crisis(parser, data_dir)
        if not args.quick:
            report["heldout_intents"] = evaluate_intents(parser, out_dir, data_dir)
    finally:
        parser.close()
    if not (args.quick or args.no_cv):
        report["cross_validation"] = cross_validate(out_dir, args.folds)
    report["seconds"] = round(time.monotonic() - started, 1)
    report["targets"] = check_targets(report)

    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    write_markdown(report, out_dir / "report.md")
    print_summary(report, out_dir)

    if args.fail_under_targets:
        recall = report["crisis"]["recall"]["either"]
        false_alarms = report["crisis"]["false_positive_rate"]["either"]
        if recall < TARGET_CRISIS_RECALL or false_alarms > args.max_false_alarms:
            log(f"FAILED: crisis recall must be 100% (it is {pct(recall)}) and false "
                f"positives at most {pct(args.max_false_alarms)} (they are {pct(false_alarms)})")
            return 1
        log(f"OK: crisis recall {pct(recall)}, false positives {pct(false_alarms)} "
            f"(at most {pct(args.max_false_alarms)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
