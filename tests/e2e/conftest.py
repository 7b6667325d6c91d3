"""Starts the real assistant (action server, Rasa server, demo page) for the e2e tests.

The servers run on their own ports with their own conversation database, through
the same AssistantServers class that `make run` uses. The model is $TMS_MODEL, or
the newest one in models/.
"""

import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest
import requests

from scripts.run_assistant import ROOT, AssistantServers, newest_model

API_TOKEN = "e2e-test-token"
TWILIO_TEST_TOKEN = "e2e-twilio-auth-token"
SMS_ENV = {"TWILIO_AUTH_TOKEN": TWILIO_TEST_TOKEN, "SMS_SENDER_ID_KEY": "e2e-sender-key"}
# The clinic's site and the demo page (port 18080) may use the chat; no other origin.
CLINIC_SITE = "https://clinic.example"
CORS_ENV = {"CORS_ORIGINS": f"{CLINIC_SITE}, http://localhost:18080"}


@pytest.fixture(scope="session")
def assistant(tmp_path_factory) -> AssistantServers:
    """The running assistant, shared by every e2e test."""
    servers = AssistantServers(
        model=newest_model(),
        rasa_port=15005,
        action_port=15055,
        web_port=18080,
        tracker_db=str(tmp_path_factory.mktemp("tracker") / "conversations.db"),
        log_dir=str(ROOT / "results" / "e2e-logs"),
        api_token=API_TOKEN,
        env={**SMS_ENV, **CORS_ENV},
    )
    servers.start()
    yield servers
    servers.stop()


class Chat:
    """One conversation over the REST channel."""

    def __init__(self, servers: AssistantServers) -> None:
        self.servers = servers
        self.sender = f"e2e-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> List[Dict[str, Any]]:
        reply = requests.post(
            f"{self.servers.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        return reply.json()

    def texts(self, text: str) -> List[str]:
        return [message.get("text", "") for message in self.say(text)]

    def tracker(self) -> Dict[str, Any]:
        reply = requests.get(
            f"{self.servers.rasa_url}/conversations/{self.sender}/tracker",
            params={"token": API_TOKEN},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        return reply.json()


@pytest.fixture
def chat(assistant) -> Chat:
    """A fresh conversation with the running assistant."""
    return Chat(assistant)
