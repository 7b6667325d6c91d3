"""With the action server down, answers and the crisis hand-off still work."""

import pytest


@pytest.fixture
def actions_down(assistant):
    """Stops the action server for one test, then starts it again."""
    assistant.stop_actions()
    yield assistant
    assistant.start_actions()


def test_crisis_mid_checklist_is_answered_without_the_action_server(chat, actions_down):
    chat.texts("am I a candidate?")
    texts = chat.texts("I have pills saved up and I'm going to take them tonight")
    assert "988" in texts[0] and "911" in texts[0]


def test_faq_answers_without_the_action_server(chat, actions_down):
    texts = chat.texts("will insurance pay for it?")
    assert "insur" in texts[0].lower()
