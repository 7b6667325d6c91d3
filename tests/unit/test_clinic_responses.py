"""The clinic's facts (clinic.yml) and the answers that show them.

load_clinic_settings must read clinic.yml and refuse a file that lacks a fact;
ClinicResponseGenerator must fill the clinic's phone and booking link into the
answers, and no answer of the domain, on the web or by SMS, may show a raw
{placeholder} to the person.
"""

import asyncio
import re
from pathlib import Path

import pytest
import yaml
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from components.clinic_response_generator import ClinicResponseGenerator
from components.clinic_settings import ClinicSettingsError, load_clinic_settings

ROOT = Path(__file__).resolve().parents[2]
CLINIC_FILE = ROOT / "clinic.yml"
CLINIC = yaml.safe_load(CLINIC_FILE.read_text(encoding="utf-8"))
DOMAIN = Domain.load(str(ROOT / "domain"))
SLOT_NAMES = {slot.name for slot in DOMAIN.slots}
CHANNELS = ["rest", "twilio"]
PLACEHOLDER = re.compile(r"\{\w+\}")


@pytest.fixture
def generator(monkeypatch):
    monkeypatch.setenv("CLINIC_SETTINGS", str(CLINIC_FILE))
    return ClinicResponseGenerator(domain=DOMAIN)


@pytest.fixture
def tracker():
    return DialogueStateTracker.from_events("test-user", [], DOMAIN.slots)


def test_clinic_settings_are_read_from_clinic_yml():
    settings = load_clinic_settings(CLINIC_FILE)
    assert settings.name == CLINIC["name"]
    assert settings.phone == CLINIC["phone"]
    assert settings.booking_url == CLINIC["booking_url"]
    assert settings.placeholders()["clinic_phone"] == CLINIC["phone"]


def test_clinic_settings_path_comes_from_the_environment(tmp_path, monkeypatch):
    other = dict(CLINIC, phone="(555) 999-0000")
    path = tmp_path / "other_clinic.yml"
    path.write_text(yaml.safe_dump(other), encoding="utf-8")
    monkeypatch.setenv("CLINIC_SETTINGS", str(path))
    assert load_clinic_settings().phone == "(555) 999-0000"


@pytest.mark.parametrize("phone", [None, ""], ids=["missing", "blank"])
def test_clinic_file_without_a_phone_is_refused(tmp_path, phone):
    facts = {key: value for key, value in CLINIC.items() if key != "phone"}
    if phone is not None:
        facts["phone"] = phone
    path = tmp_path / "clinic.yml"
    path.write_text(yaml.safe_dump(facts), encoding="utf-8")
    with pytest.raises(ClinicSettingsError, match="phone"):
        load_clinic_settings(path)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("response", ["utter_contact_clinic", "utter_outcome_next_steps"])
def test_phone_and_booking_link_are_filled_in(generator, tracker, response, channel):
    message = asyncio.run(generator.generate(response, tracker, channel))
    assert CLINIC["phone"] in message["text"]
    assert CLINIC["booking_url"] in message["text"]
    assert not PLACEHOLDER.search(message["text"])


def variations(response, channel):
    """Every variation Rasa may choose for this response on this channel."""
    return ResponseVariationFilter(DOMAIN.responses).responses_for_utter_action(
        response, channel, {}
    )


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("response", sorted(DOMAIN.responses))
def test_no_response_shows_an_unfilled_placeholder(generator, tracker, response, channel):
    for variation in variations(response, channel):
        template = variation.get("text") or ""
        slot_values = {
            name: "3" for name in re.findall(r"\{(\w+)\}", template) if name in SLOT_NAMES
        }
        generator.responses = {response: [variation]}  # this variation, not a random one
        message = asyncio.run(generator.generate(response, tracker, channel, **slot_values))
        assert not PLACEHOLDER.findall(message.get("text") or ""), template
