"""A short soak (scripts/soak.py) inside the suite: 40 conversations for 10 seconds.

The full soak (`make soak`: 200 conversations for 60 s) is too long for every test
run; this one runs the same conversations against the suite's server and asks for no
error at all and every crisis message answered with 988 and 911 first.
"""

import asyncio

import pytest

from scripts.soak import check_loopback, format_report, run_soak


def test_a_short_soak_has_no_errors_and_answers_every_crisis_first(assistant, capsys):
    report = asyncio.run(run_soak(
        f"http://127.0.0.1:{assistant.rasa_port}", conversations=40, duration_s=10,
        pid=assistant.rasa.pid, think_s=1.0, seed=7,
    ))
    with capsys.disabled():
        print("\n" + format_report(report))
    assert report.turns >= 40
    assert report.error_count == 0, (dict(report.errors), report.error_examples)
    assert report.crisis_sent >= 2, "every 20th conversation opens with a crisis message"
    assert report.crisis_failures == 0, report.crisis_failure_examples
    assert report.rss_samples, "the server's memory was sampled"


@pytest.mark.parametrize("url", ["http://example.com:5005", "http://10.0.0.1:5005",
                                 "ftp://127.0.0.1/", "http://127.0.0.1.example.com/"])
def test_the_soak_only_talks_to_this_machine(url):
    with pytest.raises(ValueError):
        check_loopback(url)
