"""With the action server down, answers and the crisis hand-off still work."""

import pytest


@pytest.fixture
def actions_down(assistant):
    """Stops the action server for one test, then starts it again."""
    assistant.stop_actions()
    yield assistant
    assistant.start_actions()


def test_crisis_mid_checklist_is_answered_when_the_action_server_goes_down(chat, assistant):
    chat.texts("am I a candidate?")
    chat.texts("yes")
    assistant.stop_actions()
    try:
        texts = chat.texts("I have pills saved up and I'm going to take them tonight")
        assert "988" in texts[0] and "911" in texts[0]
        assert "paused the checklist" in texts[-1]
    finally:
        assistant.start_actions()


def test_crisis_as_first_message_without_the_action_server(chat, actions_down):
    texts = chat.texts("I have pills saved up and I'm going to take them tonight")
    assert "988" in texts[0] and "911" in texts[0]


def test_faq_answers_without_the_action_server(chat, actions_down):
    texts = chat.texts("will insurance pay for it?")
    assert "insur" in texts[0].lower()


def test_the_checklist_says_it_is_unavailable_then_recovers(chat, assistant):
    chat.texts("am I a candidate?")
    assistant.stop_actions()
    try:
        texts = chat.texts("yes")
        assert "briefly unavailable" in " ".join(texts)
        assert "(555) 010-0142" in " ".join(texts)
        texts = chat.texts("start the checklist")
        assert "briefly unavailable" in " ".join(texts)
    finally:
        assistant.start_actions()
    texts = chat.texts("continue the checklist")
    assert "antidepressant" in texts[-1], "it picks up where it stopped, nothing restarted"
