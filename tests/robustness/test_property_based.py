"""Generated input over REST and signed SMS webhooks: the assistant never breaks.

Hypothesis sends well over 2,000 messages: random Unicode (astral characters, RTL
text and bidi controls, zero-width and control characters), texts up to the
channels' documented limits (and over them: REST answers 413), JSON and HTML/XML
markup typed as text, and slash commands with entities. Every reply must be:

- REST: never a 5xx; 200 with a JSON list of messages, or 413 when over the limits
  documented in channels/rest.py (message over 5,000 characters, body over 64 KB;
  a message over 5,000 characters that reads as a crisis gets the crisis reply);
- SMS: never a 5xx; well-formed TwiML whose messages are GSM-7 only and at most
  320 characters (413 only when the form body is over 32 KB), and never the
  channel's last-resort reply, which it sends when a turn raised an exception;

and afterwards the server still answers a FAQ question correctly. The number of
messages sent and the slowest inputs are printed at the end.
"""

import json
import os
import time
import uuid
from collections import Counter
from typing import Dict, List, Tuple

import pytest
import requests
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from channels import rest, twilio_sms
from channels.sms_text import MAX_SMS_CHARS, is_gsm7
from scripts.run_assistant import ROOT
from tests.robustness.conftest import REST_PATH, RestChat, SmsPhone, parse_twiml

# Hypothesis keeps caches (Unicode tables, constants) in a folder of its own: under
# results/ (the test output) rather than a new .hypothesis/ in the project root.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(ROOT / "results" / "robustness-logs" / "hypothesis")

MIN_MESSAGES = 2000
SENT: Counter = Counter()
TIMINGS: List[Tuple[float, str, str]] = []  # (seconds, channel, input excerpt)

# Hypothesis: no example database, no per-example deadline (each example is a round
# trip to a real server), generation of long texts allowed.
QUICK = dict(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example,
                           HealthCheck.function_scoped_fixture],
)


# -- what people (and scripts) may type -------------------------------------------------

def _domain() -> Dict:
    merged: Dict = {"intents": [], "slots": {}}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        merged["intents"] += [i if isinstance(i, str) else next(iter(i))
                              for i in part.get("intents") or []]
        merged["slots"].update(part.get("slots") or {})
    return merged


DOMAIN = _domain()
COMMAND_NAMES = sorted(set(DOMAIN["intents"]) | {
    "restart", "back", "session_start", "crisis", "nlu_fallback", "out_of_scope",
    "action_checklist_outcome", "action_reset_checklist", "action_restart",
    "utter_crisis_resources", "candidacy_form", "validate_candidacy_form",
})
SLOT_NAMES = sorted(DOMAIN["slots"]) + ["requested_slot", "x", "note"]

PHRASES = [
    "what are the side effects?", "is tms like shock therapy?", "how much does it cost?",
    "does insurance cover it?", "am I a candidate?", "yes", "no", "not sure", "skip",
    "2", "1", "3", "Zoloft and Lexapro", "none", "45", "17", "stop", "continue the checklist",
    "start over", "hi", "thanks", "bye", "HELP", "STOP", "START", "how do I book?",
]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u034f"]
BIDI = ["\u200e", "\u200f", "\u061c", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
        "\u2066", "\u2067", "\u2068", "\u2069"]

any_char = st.characters(blacklist_categories=("Cs",))          # every code point but surrogates
astral_char = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF,
                            blacklist_categories=("Cs",))
rtl_char = st.one_of(
    st.characters(min_codepoint=0x0590, max_codepoint=0x05FF),  # Hebrew
    st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),  # Arabic
    st.characters(min_codepoint=0xFB50, max_codepoint=0xFDFF),  # Arabic presentation forms
    st.sampled_from(BIDI),
)
control_char = st.one_of(st.characters(whitelist_categories=("Cc", "Cf", "Zl", "Zp")),
                         st.sampled_from(ZERO_WIDTH))


def _sprinkle(text: str, inserts: List[Tuple[int, str]]) -> str:
    """Inserts characters at pseudo-random positions of text."""
    chars = list(text)
    for position, char in inserts:
        chars.insert(position % (len(chars) + 1), char)
    return "".join(chars)


sprinkled_phrase = st.builds(
    _sprinkle, st.sampled_from(PHRASES),
    st.lists(st.tuples(st.integers(0, 60), st.one_of(control_char, rtl_char)), max_size=8),
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(any_char, max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(any_char, max_size=10), children, max_size=4),
    max_leaves=12,
)
json_text = json_value.map(lambda value: json.dumps(value, ensure_ascii=False))
MARKUP = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
    "<Response><Message>free money</Message></Response>", "<?xml version=\"1.0\"?><a/>",
    "<![CDATA[<Message>x</Message>]]>", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
    "&lt;b&gt;hi&lt;/b&gt; &amp; &#0; &#x1F600;", "</Message><Message>", "<b>**bold**</b> [link](http://x)",
    "{clinic_phone} {booking_url} {0} {{}}", "%s %d %n", "${jndi:ldap://x/a}",
]
tag = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzMR:-"), min_size=1, max_size=8)
markup_text = st.one_of(
    st.sampled_from(MARKUP),
    st.builds(lambda t, attr, inner: f"<{t} a=\"{attr}\">{inner}</{t}>",
              tag, st.text(any_char, max_size=12), st.text(any_char, max_size=40)),
)
slash_command = st.builds(
    lambda prefix, name, entities, suffix: (
        prefix + name + ("" if entities is None else json.dumps(entities)) + suffix),
    st.sampled_from(["/", "/", "/", " /", "//", "/ ", "\u200b/"]),
    st.sampled_from(COMMAND_NAMES),
    st.one_of(st.none(), st.dictionaries(
        st.sampled_from(SLOT_NAMES),
        st.one_of(st.integers(-5, 200), st.booleans(), st.none(),
                  st.sampled_from(["yes", "no", "i want to kill myself", "true"])),
        max_size=3)),
    st.sampled_from(["", "", " ", "\n", " please", "{", "}"]),
)
word = st.text(st.one_of(any_char, st.sampled_from("abcdefghij ")), min_size=1, max_size=15)


def _long(words: List[str], length: int) -> str:
    """Words repeated, space-separated, cut at `length` characters."""
    text = " ".join(words)
    return ((text + " ") * (length // (len(text) + 1) + 1))[:length]


def long_text(max_length: int, min_length: int = 500) -> st.SearchStrategy:
    return st.builds(_long, st.lists(st.one_of(word, st.sampled_from(PHRASES)),
                                     min_size=1, max_size=12),
                     st.integers(min_length, max_length))


def message_text(max_length: int) -> st.SearchStrategy:
    """One typed message: any of the families above, long texts up to max_length."""
    return st.one_of(
        st.text(any_char, max_size=80),
        st.text(astral_char, min_size=1, max_size=60),
        st.text(rtl_char, min_size=1, max_size=80),
        st.text(st.one_of(control_char, st.sampled_from("ab ")), max_size=60),
        sprinkled_phrase,
        json_text,
        markup_text,
        slash_command,
        st.sampled_from(PHRASES),
        long_text(max_length),
    )


# -- the two channels -------------------------------------------------------------------

@pytest.fixture(scope="module")
def http() -> requests.Session:
    with requests.Session() as session:
        yield session


def _timed(channel: str, text: str, send):
    started = time.monotonic()
    reply = send()
    elapsed = time.monotonic() - started
    SENT[channel] += 1
    TIMINGS.append((elapsed, channel, repr(text[:60]) + (f"... ({len(text)} chars)"
                                                          if len(text) > 60 else "")))
    return reply


def send_rest(http: requests.Session, rasa_url: str, sender: str, text: str,
              ascii_json: bool = True, extra: Dict = None) -> None:
    """Posts one message and checks the reply against the documented contract."""
    body = json.dumps({"sender": sender, "message": text, **(extra or {})},
                      ensure_ascii=ascii_json).encode("utf-8")
    reply = _timed("rest", text, lambda: http.post(
        rasa_url + REST_PATH, data=body,
        headers={"Content-Type": "application/json"}, timeout=60))
    assert reply.status_code < 500, (reply.status_code, text[:200])
    if len(body) > rest.MAX_BODY_BYTES:
        assert reply.status_code == 413, (reply.status_code, len(text), len(body))
        assert "error" in reply.json()
        return
    if len(text) > rest.MAX_MESSAGE_CHARS:
        # read for a crisis first (channels/long_messages.py): the crisis reply, else 413
        assert reply.status_code in (200, 413), (reply.status_code, len(text), len(body))
        if reply.status_code == 413:
            assert "error" in reply.json()
        else:
            assert "988" in reply.json()[0]["text"], reply.json()
        return
    assert reply.status_code == 200, (reply.status_code, reply.text[:300], text[:200])
    messages = reply.json()
    assert isinstance(messages, list), messages
    for message in messages:
        assert isinstance(message, dict) and message.get("recipient_id") == sender, message
        assert any(key in message for key in ("text", "buttons", "image", "custom")), message


def send_sms(phone: SmsPhone, text: str) -> List[str]:
    """Sends one signed webhook and checks the TwiML reply."""
    reply, size = _timed("sms", text, lambda: phone.post(text))
    assert reply.status_code < 500, (reply.status_code, text[:200])
    if size > twilio_sms.MAX_BODY_BYTES:
        assert reply.status_code == 413, (reply.status_code, size)
        return []
    assert reply.status_code == 200, (reply.status_code, reply.text[:300], text[:200])
    assert reply.headers["Content-Type"].startswith("text/xml")
    texts = parse_twiml(reply.text)
    assert twilio_sms.LAST_RESORT_REPLY not in texts, f"the turn failed on {text[:200]!r}"
    for sms in texts:
        assert is_gsm7(sms), f"not GSM-7: {sms!r} (input {text[:100]!r})"
        assert len(sms) <= MAX_SMS_CHARS, f"{len(sms)} characters: {sms!r}"
    return texts


# A few conversations live longer (state builds up across examples), up to
# LONG_LIVED_TURNS turns each (a turn gets slower the longer its conversation is);
# most conversations are new.
LONG_LIVED = 3
LONG_LIVED_TURNS = 60
conversation_index = st.integers(0, 4 * LONG_LIVED - 1)  # >= LONG_LIVED: a new one


class Pool:
    """LONG_LIVED conversations, each replaced by a new one after LONG_LIVED_TURNS."""

    def __init__(self, make) -> None:
        self.make = make
        self.items = [make() for _ in range(LONG_LIVED)]
        self.turns = [0] * LONG_LIVED

    def get(self, index: int, turns: int):
        if index >= LONG_LIVED:
            return self.make()
        if self.turns[index] + turns > LONG_LIVED_TURNS:
            self.items[index], self.turns[index] = self.make(), 0
        self.turns[index] += turns
        return self.items[index]


REST_SENDERS = Pool(lambda: f"prop-rest-{uuid.uuid4().hex[:12]}")


@settings(max_examples=300, **QUICK)
@given(
    index=conversation_index,
    texts=st.lists(message_text(rest.MAX_MESSAGE_CHARS), min_size=4, max_size=4),
    ascii_json=st.booleans(),
)
def test_rest_answers_anything_with_a_json_list(assistant, http, index, texts, ascii_json):
    sender = REST_SENDERS.get(index, len(texts))
    for text in texts:
        send_rest(http, assistant.rasa_url, sender, text, ascii_json)


@settings(max_examples=40, **QUICK)
@given(
    text=st.one_of(
        long_text(rest.MAX_MESSAGE_CHARS + 2000, min_length=rest.MAX_MESSAGE_CHARS + 1),
        st.just("x" * (rest.MAX_MESSAGE_CHARS + 1)),
        st.just("x" * rest.MAX_MESSAGE_CHARS),            # exactly at the limit: accepted
        st.text(astral_char, min_size=rest.MAX_MESSAGE_CHARS - 10,
                max_size=rest.MAX_MESSAGE_CHARS + 10),
    ),
    padding=st.integers(0, 2 * rest.MAX_BODY_BYTES),
    ascii_json=st.booleans(),
)
def test_rest_limits_give_413_not_5xx(assistant, http, text, padding, ascii_json):
    """Over 5,000 characters, or a body over 64 KB (padded with an extra field): 413."""
    extra = {"padding": "p" * padding} if padding > rest.MAX_BODY_BYTES // 2 else None
    send_rest(http, assistant.rasa_url, f"prop-limit-{uuid.uuid4().hex[:12]}", text,
              ascii_json, extra)


@pytest.fixture(scope="module")
def sms_phones(assistant, http) -> Pool:
    return Pool(lambda: SmsPhone(assistant.rasa_url, http))


@settings(max_examples=230, **QUICK)
@given(
    index=conversation_index,
    texts=st.lists(
        st.one_of(message_text(twilio_sms.MAX_SMS_TEXT_CHARS),
                  long_text(3 * twilio_sms.MAX_SMS_TEXT_CHARS,
                            min_length=twilio_sms.MAX_SMS_TEXT_CHARS)),
        min_size=4, max_size=4),
)
def test_sms_answers_anything_with_gsm7_twiml(assistant, http, sms_phones, index, texts):
    phone = sms_phones.get(index, len(texts))
    for text in texts:
        send_sms(phone, text)


# -- invisible characters inside a crisis message --------------------------------------

CRISIS_MESSAGES = [line.strip() for line in (ROOT / "tests" / "data" / "crisis_messages.txt")
                   .read_text(encoding="utf-8").splitlines() if line.strip()]
# What the crisis lexicon strips before matching (components/crisis_lexicon.py INVISIBLE).
HANDLED_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff"]


@settings(max_examples=60, **QUICK)
@given(
    message=st.sampled_from(CRISIS_MESSAGES),
    inserts=st.lists(st.tuples(st.integers(0, 200), st.sampled_from(HANDLED_INVISIBLE)),
                     min_size=1, max_size=6),
    over_sms=st.booleans(),
)
def test_zero_width_characters_do_not_hide_a_crisis(assistant, http, message, inserts, over_sms):
    text = _sprinkle(message, inserts)
    if over_sms:
        first = send_sms(SmsPhone(assistant.rasa_url, http), text)[0]
    else:
        sender = f"prop-zw-{uuid.uuid4().hex[:12]}"
        reply = _timed("rest", text, lambda: RestChat(assistant.rasa_url, http, sender).texts(text))
        first = reply[0]
    assert "988" in first and "911" in first, (text, first)


@pytest.mark.parametrize("char", ["\u00ad", "\u202a", "\u202e", "\u2066", "\u180e", "\u034f"],
                         ids=["soft hyphen", "LRE", "RLO", "LRI", "MVS", "CGJ"])
def test_other_invisible_characters_do_not_hide_a_crisis(assistant, http, char):
    first = RestChat(assistant.rasa_url, http).texts("kms" + char)[0]
    assert "988" in first and "911" in first, first


def test_after_all_that_the_assistant_still_answers(assistant, http, capsys):
    """Runs last: the server is healthy, and how much was sent is reported."""
    texts = RestChat(assistant.rasa_url, http).texts("what are the side effects?")
    assert "headache" in texts[0].lower()
    sms = send_sms(SmsPhone(assistant.rasa_url, http), "what are the side effects?")
    assert "headache" in sms[0].lower()
    total = SENT["rest"] + SENT["sms"]
    with capsys.disabled():
        print(f"\n[property-based] sent {total} generated messages "
              f"({SENT['rest']} REST, {SENT['sms']} SMS)")
        for channel in ("rest", "sms"):
            times = sorted(t for t, c, _ in TIMINGS if c == channel)
            if times:
                print(f"  {channel}: median {times[len(times) // 2] * 1000:.0f} ms, "
                      f"p95 {times[int(len(times) * 0.95)] * 1000:.0f} ms, "
                      f"total {sum(times):.0f} s")
        for elapsed, channel, excerpt in sorted(TIMINGS, reverse=True)[:5]:
            print(f"  slowest: {elapsed:.2f} s {channel} {excerpt}")
    if total == 0:
        pytest.skip("the generated tests did not run (selected alone)")
    if SENT["rest"] and SENT["sms"]:
        assert total >= MIN_MESSAGES, f"only {total} messages were sent"
