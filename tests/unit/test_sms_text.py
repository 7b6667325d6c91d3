"""What a person's phone shows: every SMS the domain can send, and the TwiML around it.

Every response of the domain, as the SMS channel renders it (clinic facts filled in
from clinic.yml, buttons as numbered choices), must be GSM-7 only and fit 320
characters without being split; the crisis resources must fit one 160-character
segment with 988 and 911 in it, and so must the support message that follows them.
The TwiML builder must escape what people and templates may contain, and never
return more than Twilio's 10 <Message>s, losing nothing a person needs.
"""

import asyncio
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from channels.sms_text import (
    MAX_MESSAGES, MAX_SMS_CHARS, SEGMENT_CHARS, choice_payload, is_gsm7, render_messages,
    twiml,
)
from components.clinic_response_generator import ClinicResponseGenerator

ROOT = Path(__file__).resolve().parents[2]
CLINIC_FILE = ROOT / "clinic.yml"
CLINIC = yaml.safe_load(CLINIC_FILE.read_text(encoding="utf-8"))
DOMAIN = Domain.load(str(ROOT / "domain"))
SLOT_NAMES = {slot.name for slot in DOMAIN.slots}
CHANNEL = "twilio"  # SmsReplyCollector.name(): the channel SMS variations are chosen for


def parse(body: str):
    return [m.text or "" for m in ElementTree.fromstring(body).findall("Message")]


def sms_variations():
    """(response, variation index, variation) for every variation the SMS channel may use."""
    chooser = ResponseVariationFilter(DOMAIN.responses)
    for name in sorted(DOMAIN.responses):
        for index, variation in enumerate(
                chooser.responses_for_utter_action(name, CHANNEL, {})):
            yield pytest.param(name, variation, id=f"{name}-{index}")


def rendered(monkeypatch, name, variation):
    """The SMS texts of one variation: clinic facts and slot values filled, buttons numbered."""
    monkeypatch.setenv("CLINIC_SETTINGS", str(CLINIC_FILE))
    generator = ClinicResponseGenerator(domain=DOMAIN)
    generator.responses = {name: [variation]}
    tracker = DialogueStateTracker.from_events("sms-test", [], DOMAIN.slots)
    slot_values = {slot: "3" for slot in re.findall(r"\{(\w+)\}", variation.get("text") or "")
                   if slot in SLOT_NAMES}
    message = asyncio.run(generator.generate(name, tracker, CHANNEL, **slot_values))
    return message, render_messages([message])


@pytest.mark.parametrize("name,variation", list(sms_variations()))
def test_every_domain_response_fits_one_gsm7_sms(monkeypatch, name, variation):
    message, texts = rendered(monkeypatch, name, variation)
    assert len(texts) == 1, f"{name} is split into {len(texts)} SMS: {texts}"
    text = texts[0]
    assert is_gsm7(text), f"{name}: not GSM-7: {[c for c in text if not is_gsm7(c)]}"
    assert is_gsm7(message.get("text") or ""), f"{name} relies on characters being dropped"
    assert len(text) <= MAX_SMS_CHARS, f"{name}: {len(text)} characters: {text!r}"
    assert not re.search(r"\{\w*\}", text), f"{name}: unfilled placeholder: {text!r}"
    for button in message.get("buttons") or []:
        if button["payload"].startswith("/"):
            assert button["payload"] not in text, f"{name} shows a payload: {text!r}"
    if message.get("buttons"):
        numbered = ", ".join(f"{number} for {button['title']}"
                             for number, button in enumerate(message["buttons"], start=1))
        assert text.endswith(f"Reply {numbered}."), text


def only_sms_variation(name):
    variations = ResponseVariationFilter(DOMAIN.responses).responses_for_utter_action(
        name, CHANNEL, {})
    assert len(variations) == 1 and variations[0].get("channel") == CHANNEL, variations
    return variations[0]


def test_the_crisis_resources_fit_one_segment_with_988_and_911(monkeypatch):
    _, texts = rendered(monkeypatch, "utter_crisis_resources",
                        only_sms_variation("utter_crisis_resources"))
    assert len(texts) == 1 and len(texts[0]) <= SEGMENT_CHARS, texts
    assert "988" in texts[0] and "911" in texts[0]
    assert "nearest ER" in texts[0]


def test_the_crisis_support_message_fits_one_segment_with_the_clinic_phone(monkeypatch):
    _, texts = rendered(monkeypatch, "utter_crisis_support",
                        only_sms_variation("utter_crisis_support"))
    assert len(texts) == 1 and len(texts[0]) <= SEGMENT_CHARS, (len(texts[0]), texts)
    assert CLINIC["phone"] in texts[0]


def test_help_states_the_opt_out_and_rates_sentence(monkeypatch):
    _, texts = rendered(monkeypatch, "utter_sms_help", only_sms_variation("utter_sms_help"))
    assert "Reply STOP to opt out. Msg & data rates may apply." in texts[0]
    assert CLINIC["name"] in texts[0] and CLINIC["phone"] in texts[0]


def test_a_numbered_reply_selects_the_choice_and_nothing_else():
    buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    assert choice_payload("2", buttons) == "/deny"
    assert choice_payload(" 1. ", buttons) == "/affirm"
    assert choice_payload("3", buttons) is None
    assert choice_payload("1 or 2", buttons) is None


# -- the TwiML builder --------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "a < b > c & d \" e ' f",
    "</Message><Message>free money</Message>",
    "<![CDATA[x]]> &amp; &#0; <?xml?>",
])
def test_twiml_escapes_markup_and_quotes(text):
    body = twiml([text, "second"])
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert parse(body) == [text, "second"]
    inner = body.split("<Message>", 1)[1].split("</Message>", 1)[0]
    assert not set("<>\"'") & set(inner), inner
    assert len(ElementTree.fromstring(body)) == 2


def test_an_empty_reply_is_an_empty_response():
    assert twiml([]) == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def test_short_messages_beyond_ten_are_joined_without_losing_any():
    texts = [f"Message number {number}." for number in range(1, 15)]
    messages = parse(twiml(texts))
    assert len(messages) <= MAX_MESSAGES
    assert "\n".join(messages) == "\n".join(texts)
    assert all(len(message) <= MAX_SMS_CHARS for message in messages)


def test_long_messages_beyond_ten_have_their_tail_merged_into_the_tenth():
    texts = [f"{number:02d} " + "x" * 300 for number in range(1, 13)]
    messages = parse(twiml(texts))
    assert len(messages) == MAX_MESSAGES
    assert messages[:9] == texts[:9], "the first nine are sent as they are"
    assert messages[9] == "\n".join(texts[9:]), "the tail is merged, nothing dropped"
