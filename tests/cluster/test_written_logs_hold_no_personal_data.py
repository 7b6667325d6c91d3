"""After every other cluster test (the load, the simultaneous messages, the killed
server: conftest runs this module last), no log file the cluster wrote holds a
conversation id, a message text, a phone number or the API token in clear.

Looked at: what each file received since the cluster started, for every file: both
Rasa servers' output, the action server's, nginx's own output, nginx's access and
error logs (conftest.cluster_log_files). Before it looks, it sends what used to leak:
a tracker request with its token and the conversation id in the URL through nginx, a
wrong token, and messages carrying a phone number.
"""

import re
from typing import Dict, List

import requests

from tests.cluster.conftest import (
    API_TOKEN, CHECKLIST, LOG_DIR, NGINX_PORT, RASA_PORTS, REQUEST_TIMEOUT_S, SENT,
    cluster_log_files, new_sender, post, rasa_url, reply_texts, written_since_start,
)

PHONE_MESSAGE = "please text me back at +1 (555) 013-4477, my mobile"
PHONE_DIGITS = ("013-4477", "0134477")
# Any conversation id new_sender() makes, registered or not.
ANY_TEST_SENDER = re.compile(r"cluster-[a-z]+\d*-[0-9a-f]{12}")


def distinctive(text: str) -> bool:
    """A message text worth looking for: "yes", "no" or "45" are in logs anyway."""
    return len(text) >= 10 and " " in text


def leaks_in(text: str) -> List[str]:
    found = [f"conversation id {sender}" for sender in SENT["senders"] if sender in text]
    found += [f"conversation id {match}" for match in set(ANY_TEST_SENDER.findall(text))
              if match not in SENT["senders"]]
    found += [f"message text {message!r}" for message in SENT["texts"]
              if distinctive(message) and message in text]
    found += [f"phone number {digits}" for digits in PHONE_DIGITS if digits in text]
    if API_TOKEN in text:
        found.append("the API token")
    return found


def test_no_log_file_names_a_person_or_what_they_wrote(live_cluster):
    sender = new_sender("privacy")
    reply_texts(post(rasa_url(NGINX_PORT), sender, CHECKLIST[0][0]))
    post(rasa_url(NGINX_PORT), sender, PHONE_MESSAGE)
    post(rasa_url(RASA_PORTS[0]), new_sender("privacy"), PHONE_MESSAGE)
    tracker = requests.get(f"{rasa_url(NGINX_PORT)}/conversations/{sender}/tracker",
                           params={"token": API_TOKEN}, timeout=REQUEST_TIMEOUT_S)
    assert tracker.status_code == 200 and tracker.json()["sender_id"] == sender
    refused = requests.get(f"{rasa_url(NGINX_PORT)}/conversations/{sender}/tracker",
                           params={"token": "wrong-" + API_TOKEN}, timeout=REQUEST_TIMEOUT_S)
    assert refused.status_code == 401

    logs = cluster_log_files(live_cluster)
    names = {str(path.relative_to(LOG_DIR)) if LOG_DIR in path.parents else path.name
             for path in logs}
    expected = {f"rasa-{port}/rasa.log" for port in RASA_PORTS} | {
        "actions.log", "nginx.log", "access.log", "error.log"}
    assert expected <= names, f"log files missing: {expected - names}"
    written = {path: written_since_start(path) for path in logs}
    access = next(text for path, text in written.items() if path.name == "access.log")
    assert "/conversations/-/tracker" in access, "the tracker requests did not reach the log"
    # Every request came from 127.0.0.1: that address may only be an upstream's
    # ("upstream=127.0.0.1:21002, 127.0.0.1:21001" after a failover).
    clients = re.sub(r"upstream=.*? upstream_status=", "", access)
    assert "127.0.0.1" not in clients and "::1" not in clients, "client addresses are logged"

    leaks: Dict[str, List[str]] = {
        str(path): sorted(set(found))[:10] for path, text in written.items()
        if (found := leaks_in(text))
    }
    assert leaks == {}, leaks
