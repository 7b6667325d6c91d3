"""Loads the clinic's facts from clinic.yml: the single place another clinic edits.

The file is found through the CLINIC_SETTINGS environment variable, else as
clinic.yml in the working directory (the project root for every make target).
"""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict

import yaml

REQUIRED_KEYS = ("name", "phone", "hours", "booking_url", "email")


class ClinicSettingsError(ValueError):
    """clinic.yml is missing, unreadable or lacks a required fact."""


@dataclass(frozen=True)
class ClinicSettings:
    """The clinic facts that answers and the demo page show."""

    name: str
    phone: str
    hours: str
    booking_url: str
    email: str
    website: str = ""
    branding: Dict[str, str] = field(default_factory=dict)
    privacy: Dict[str, Any] = field(default_factory=dict)

    def placeholders(self) -> Dict[str, str]:
        """Values for the {clinic_*} and {booking_url} placeholders in responses."""
        return {
            "clinic_name": self.name,
            "clinic_phone": self.phone,
            "clinic_hours": self.hours,
            "clinic_email": self.email,
            "booking_url": self.booking_url,
        }


def settings_path() -> Path:
    """Where clinic.yml is read from."""
    return Path(os.environ.get("CLINIC_SETTINGS", "clinic.yml"))


def load_clinic_settings(path: Path = None) -> ClinicSettings:
    """Reads and checks clinic.yml, raising ClinicSettingsError with a clear message."""
    path = Path(path) if path else settings_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ClinicSettingsError(f"cannot read clinic settings {path}: {error}")
    if not isinstance(raw, dict):
        raise ClinicSettingsError(f"{path} must hold a mapping of clinic facts")
    missing = [key for key in REQUIRED_KEYS if not str(raw.get(key) or "").strip()]
    if missing:
        raise ClinicSettingsError(f"{path} lacks: {', '.join(missing)}")
    return ClinicSettings(
        **{key: str(raw[key]).strip() for key in REQUIRED_KEYS},
        website=str(raw.get("website") or ""),
        branding=dict(raw.get("branding") or {}),
        privacy=dict(raw.get("privacy") or {}),
    )
