"""Finds and reads the YAML word lists in lexicons/ that the actions use."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

import yaml

LEXICON_DIR = Path(os.environ.get("LEXICON_DIR", Path(__file__).resolve().parent.parent / "lexicons"))


@lru_cache(maxsize=None)
def load_lexicon(name: str) -> Dict[str, Any]:
    """Returns lexicons/<name>.yml as a dict (read once per process)."""
    path = LEXICON_DIR / f"{name}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a mapping")
    if _holds_boolean(data):
        raise ValueError(f"{path}: quote yes/no/on/off/true/false, YAML reads them as booleans")
    return data


def _holds_boolean(value: Any) -> bool:
    """True if a bare yes/no/on/off/true/false became a boolean anywhere in the data."""
    if isinstance(value, bool):
        return True
    if isinstance(value, dict):
        return any(_holds_boolean(key) or _holds_boolean(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_boolean(item) for item in value)
    return False
