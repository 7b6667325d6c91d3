"""A slow action holds up only its own conversation.

A second pair of servers: an action server on 19056 running tests.robustness.slow_actions
(checklist validation takes 5 s, asynchronously) and a Rasa server on 19006 pointed at
it. While conversation A waits for its answer to be validated, conversation B's FAQ
question is answered within 2 s, and A's reply arrives afterwards.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from typing import List, Tuple

import pytest

from scripts.run_assistant import AssistantServers, newest_model
from tests.e2e.conftest import SMS_ENV
from tests.robustness.conftest import (
    API_TOKEN, LOG_DIR, SECOND_RASA_PORT, SLOW_ACTION_PORT, WEB_PORT, RestChat, SmsPhone,
    parse_twiml,
)

SLOW_VALIDATION_S = 5.0  # what tests/robustness/slow_actions.py waits (not imported here:
#                          it loads the whole actions package, spaCy included)
FAQ = "what are the side effects?"
START = "am I a candidate?"
FAST_ENOUGH_S = 2.0


@pytest.fixture(scope="module")
def slow_assistant(tmp_path_factory) -> AssistantServers:
    """Rasa on 19006 with the slow action server on 19056, their own conversation store."""
    servers = AssistantServers(
        model=newest_model(),
        rasa_port=SECOND_RASA_PORT,
        action_port=SLOW_ACTION_PORT,
        web_port=WEB_PORT,
        tracker_db=str(tmp_path_factory.mktemp("slow-tracker") / "conversations.db"),
        log_dir=str(LOG_DIR / "slow-action"),
        api_token=API_TOKEN,
        env={**SMS_ENV, "RASA_TELEMETRY_ENABLED": "false"},
        actions_package="tests.robustness.slow_actions",
    )
    try:
        servers.start_actions()
        servers.start_rasa()
    except BaseException:
        servers.stop()
        raise
    yield servers
    servers.stop()


def timed(send, *args) -> Tuple[List[str], float]:
    """The reply's texts and the monotonic time it arrived."""
    texts = send(*args)
    return texts, time.monotonic()


def checklist_waiting_on_validation(url: str, count: int) -> List[RestChat]:
    """`count` conversations at the checklist's first question (each start is slow too)."""
    chats = [RestChat(url) for _ in range(count)]
    with ThreadPoolExecutor(count) as pool:
        started = time.monotonic()
        firsts = list(pool.map(lambda chat: chat.texts(START), chats))
    assert time.monotonic() - started >= SLOW_VALIDATION_S, "the slow actions are not in use"
    for texts in firsts:
        assert "diagnosed you with depression" in texts[-1], texts
    return chats


@pytest.mark.parametrize("waiting", [1, 4], ids=["one slow conversation", "four"])
def test_a_faq_is_answered_while_another_conversation_waits_on_a_slow_action(
        slow_assistant, waiting):
    url = slow_assistant.rasa_url
    slow_chats = checklist_waiting_on_validation(url, waiting)
    other = RestChat(url)
    with ThreadPoolExecutor(waiting) as pool:
        sent_at = time.monotonic()
        pending = [pool.submit(timed, chat.texts, "yes") for chat in slow_chats]
        time.sleep(0.5)  # every slow conversation is now waiting on its validation
        asked_at = time.monotonic()
        answer, answered_at = timed(other.texts, FAQ)
        assert answered_at - asked_at < FAST_ENOUGH_S, f"{answered_at - asked_at:.1f} s"
        assert "headache" in answer[0].lower()
        assert not any(future.done() for future in pending), "the slow action was not slow"
        results = [future.result(timeout=60) for future in pending]
    for texts, arrived_at in results:
        assert "antidepressant" in texts[-1], texts    # the next question: the answer counted
        assert arrived_at > answered_at
        assert arrived_at - sent_at >= SLOW_VALIDATION_S


def test_an_sms_is_answered_while_a_web_conversation_waits_on_a_slow_action(slow_assistant):
    url = slow_assistant.rasa_url
    [slow_chat] = checklist_waiting_on_validation(url, 1)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(timed, slow_chat.texts, "yes")
        time.sleep(0.5)
        asked_at = time.monotonic()
        reply, _ = SmsPhone(url).post(FAQ)
        answered_at = time.monotonic()
        assert reply.status_code == 200
        assert "headache" in parse_twiml(reply.text)[0].lower()
        assert answered_at - asked_at < FAST_ENOUGH_S
        texts, arrived_at = pending.result(timeout=60)
    assert "antidepressant" in texts[-1] and arrived_at > answered_at
