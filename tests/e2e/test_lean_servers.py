"""The running servers leave out the libraries they never use (scripts/serve_lean.py).

TensorFlow in the action server would cost it about 370 MB and JAX about 65 MB of the
Rasa server's memory (README, "Performance"); both servers still answer as before,
which the rest of this suite shows. Here: neither library is mapped into the process.
"""

from pathlib import Path


def mapped_files(pid: int) -> str:
    """The paths of everything mapped into a process's memory."""
    return Path(f"/proc/{pid}/maps").read_text(encoding="utf-8")


def test_the_action_server_runs_without_tensorflow(assistant, chat):
    chat.say("start the checklist")  # the checklist's actions run in the action server
    assert "libtensorflow" not in mapped_files(assistant.actions.pid)


def test_the_rasa_server_runs_without_jax(assistant, chat):
    assert chat.texts("how does tms work")
    maps = mapped_files(assistant.rasa.pid)
    assert "libtensorflow" in maps  # Rasa itself needs TensorFlow ...
    assert "jaxlib" not in maps  # ... but not JAX
