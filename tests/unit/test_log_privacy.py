"""What people write never reaches the logs, even inside Rasa's error messages."""

import logging

from components.log_privacy import PHONE, REDACTED, hash_id, install, redact_text


def test_a_tracker_dump_in_an_error_is_cut_before_the_content():
    message = ("500, Internal Server Error, body='b'{\"error\":\"x\",\"request_body\":"
               "{\"sender_id\":\"abc\",\"tracker\":{\"latest_message\":{\"text\":\"I want to die\"}}}}'")
    redacted = redact_text(message)
    assert "I want to die" not in redacted and "abc" not in redacted
    assert redacted.startswith("500, Internal Server Error") and redacted.endswith(REDACTED)


def test_ordinary_log_lines_are_untouched():
    assert redact_text("Starting Rasa server on http://0.0.0.0:5005") == (
        "Starting Rasa server on http://0.0.0.0:5005"
    )


def test_every_logger_and_traceback_in_the_process_is_redacted(caplog):
    install()
    logger = logging.getLogger("some.library")
    with caplog.at_level(logging.INFO):
        logger.info("payload %s", {"text": "my phone is +15551234567"})
        try:
            raise ValueError('{"text": "secret message"}')
        except ValueError:
            logger.exception("action failed")
    output = caplog.text
    assert "+15551234567" not in output and "secret message" not in output
    assert REDACTED in output


def test_rasas_circuit_breaker_warning_names_no_sender():
    message = ("Circuit breaker tripped. Stopped predicting more actions for sender "
               "'cluster-load07-0123456789ab'.")
    redacted = redact_text(message)
    assert "cluster-load07-0123456789ab" not in redacted
    assert redacted.startswith("Circuit breaker tripped. Stopped predicting more actions for sender 'id:")
    assert redacted == redact_text(message), "the same id hashes alike (follow one conversation)"
    assert hash_id("someone-else") not in redacted


def test_a_lock_error_names_no_conversation():
    redacted = redact_text("rasa.core.lock_store.LockError: Could not acquire lock for "
                           "conversation_id 'web-4f1c2a'.")
    assert "web-4f1c2a" not in redacted and "conversation_id 'id:" in redacted
    assert "web-4f1c2a" not in redact_text("UserMessage(sender_id='web-4f1c2a')")


def test_sanics_error_line_loses_the_conversation_id_and_the_token():
    message = ("Exception occurred while handling uri: 'http://localhost:5005/conversations/"
               "patient-42/tracker?token=s3cret&include_events=ALL'")
    redacted = redact_text(message)
    assert "patient-42" not in redacted and "s3cret" not in redacted
    assert redacted == (f"Exception occurred while handling uri: 'http://localhost:5005/"
                        f"conversations/{hash_id('patient-42')}/tracker'")


def test_phone_numbers_and_sms_ids_are_not_written_in_clear():
    redacted = redact_text("SMS received for sms-" + "ab12" * 8 + " from +1 (555) 123-4567, "
                           "call back 555-987-6543 or +447700900123")
    assert "ab12ab12" not in redacted and "id:" in redacted
    for number in ("123-4567", "987-6543", "447700900123"):
        assert number not in redacted
    assert redacted.count(PHONE) == 3


def test_addresses_times_and_sizes_are_not_mistaken_for_phone_numbers():
    line = ("2026-12-02 16:05:01 upstream=127.0.0.1:21001 request_time=0.123 "
            "Loaded 1024 events in 2.5 s; what now?")
    assert redact_text(line) == line
