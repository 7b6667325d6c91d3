"""The launcher that `make run`, `make bench` and the test suites share works on a fresh checkout."""

import yaml

import scripts.run_assistant as run_assistant
from scripts.run_assistant import AssistantServers


def test_rasa_command_on_a_checkout_without_var_folder(tmp_path, monkeypatch):
    """A fresh clone has no var/: `make bench` once trained for an hour, then crashed here."""
    (tmp_path / "endpoints.yml").write_text(
        (run_assistant.ROOT / "endpoints.yml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.setattr(run_assistant, "ROOT", tmp_path)
    servers = AssistantServers(model="models/m.tar.gz", rasa_port=20005, action_port=20055,
                               tracker_db=str(tmp_path / "conversations.db"))

    command = servers.rasa_command()

    endpoints = tmp_path / "var" / "endpoints.20005.yml"
    assert str(endpoints) in command
    config = yaml.safe_load(endpoints.read_text(encoding="utf-8"))
    assert config["action_endpoint"]["url"] == "http://localhost:20055/webhook"
    assert config["tracker_store"]["db"] == str(tmp_path / "conversations.db")
