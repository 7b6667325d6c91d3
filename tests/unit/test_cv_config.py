"""Cross-validation scores the classifier the assistant really uses.

`make eval` cross-validates config.yml's pipeline without FallbackClassifier and the
CrisisSafetyNet. A hand-kept copy of that pipeline once fell out of step with
config.yml (a classifier setting changed in one file only), so the published score
was of a pipeline no server ran; the copy is now derived from config.yml.
"""

from pathlib import Path

import yaml

from scripts.evaluate import cv_config

ROOT = Path(__file__).resolve().parents[2]


def test_cv_pipeline_is_config_yml_without_fallback_and_safety_net():
    project = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    names = [component["name"] for component in cv_config()["pipeline"]]
    assert "FallbackClassifier" not in names
    assert not any(name.endswith("CrisisSafetyNet") for name in names)
    kept = [component for component in project["pipeline"]
            if component["name"] in names]
    assert cv_config()["pipeline"] == kept
    assert len(kept) == len(project["pipeline"]) - 2


def test_cv_trains_no_dialogue_policies():
    assert cv_config()["policies"] == []
