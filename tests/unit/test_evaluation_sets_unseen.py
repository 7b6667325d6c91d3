"""The evaluation sets stay out of the training data, so `make eval` measures understanding.

A message of tests/heldout/ or tests/dev/ that is also a training example (ignoring
case and punctuation) would be scored on memory, not on understanding: that once
flattered the held-out intent accuracy by more than two points. Short canonical
messages ("hi", "yes") belong to the training data and are left out of the sets.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SETS = ("heldout", "dev")


def folded(text):
    """Lower case, apostrophes dropped, other marks spaced: "I'm dying." = "im dying"."""
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", re.sub(r"['\u2019]", "", text.lower())).split())


def nlu_examples(path):
    """Every example of a Rasa NLU YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        line.strip()[2:]
        for block in data.get("nlu") or []
        for line in (block.get("examples") or "").splitlines()
        if line.strip().startswith("- ")
    ]


def set_messages(name):
    """The messages of one evaluation set: intent examples, crisis and risky lines."""
    folder = ROOT / "tests" / name
    messages = nlu_examples(folder / "intents.yml")
    for text_file in ("crisis.txt", "risky_ordinary.txt"):
        lines = (folder / text_file).read_text(encoding="utf-8").splitlines()
        messages += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return messages


TRAINING = {folded(text) for path in (ROOT / "data" / "nlu").glob("*.yml") for text in nlu_examples(path)}


@pytest.mark.parametrize("name", SETS)
def test_no_evaluation_message_is_a_training_example(name):
    seen = sorted({message for message in set_messages(name) if folded(message) in TRAINING})
    assert not seen, f"{len(seen)} messages of tests/{name} are training examples: {seen[:10]}"


@pytest.mark.parametrize("name", ["crisis_messages.txt", "ordinary_messages.txt"])
def test_no_safety_net_test_message_is_a_training_example(name):
    """tests/data is written fresh for the test (issue 2), so the net is not scored on memory."""
    lines = (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines()
    seen = sorted({line.strip() for line in lines if line.strip() and folded(line) in TRAINING})
    assert not seen, f"{len(seen)} lines of tests/data/{name} are training examples: {seen[:10]}"
