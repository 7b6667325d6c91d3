"""Conversations are kept in the tracker store and survive a restart of the server."""


def test_the_checklist_continues_after_the_rasa_server_restarts(assistant, chat):
    chat.texts("start the checklist")
    chat.texts("yes")
    assistant.stop()
    assistant.start()
    texts = chat.texts("Prozac and Paxil")
    assert "side effects" in texts[-1], "the checklist continues at its next question"
