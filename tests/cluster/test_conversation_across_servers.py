"""One conversation whose messages go to both Rasa servers in turn keeps its state:
the servers share it through PostgreSQL, not their memory."""

from tests.cluster.conftest import (
    CHECKLIST, RASA_PORTS, get_tracker, new_sender, post, rasa_url, reply_texts,
    stored_user_texts,
)


def test_the_checklist_alternating_between_the_servers_asks_the_right_questions(live_cluster):
    sender = new_sender("alternate")
    for turn, (answer, expected) in enumerate(CHECKLIST):
        port = RASA_PORTS[turn % 2]
        texts = reply_texts(post(rasa_url(port), sender, answer))
        assert any(expected in text for text in texts), (turn, port, answer, texts)
    assert any("good fit" in text for text in texts), texts
    assert any("2 antidepressant" in text for text in texts), texts

    assert stored_user_texts(live_cluster, [sender])[sender] == [answer for answer, _ in CHECKLIST]
    trackers = [get_tracker(rasa_url(port), sender) for port in RASA_PORTS]
    for tracker in trackers:  # both servers see the same finished checklist
        assert tracker["slots"]["checklist_outcome"] == "good_candidate", tracker["slots"]
        assert not (tracker.get("active_loop") or {}).get("name"), tracker["active_loop"]
    assert trackers[0]["events"] == trackers[1]["events"]
