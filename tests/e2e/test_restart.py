"""Conversations are kept in the tracker store and survive a restart of the server."""


def test_the_checklist_continues_after_the_rasa_server_restarts(assistant, chat):
    chat.texts("start the checklist")
    chat.texts("yes")
    assistant.stop()
    assistant.start()
    texts = chat.texts("Prozac and Paxil")
    assert "side effects" in texts[-1], "the checklist continues at its next question"


def test_the_checklist_resumes_after_the_rasa_server_is_killed(assistant, chat):
    chat.texts("start the checklist")
    chat.texts("yes")
    chat.texts("two")
    assistant.rasa.kill()  # SIGKILL: no chance to flush anything
    assistant.rasa.wait()
    assistant.start_rasa()
    texts = chat.texts("no")
    assert "talk therapy" in texts[-1], "the side-effects answer lands and the next question follows"
