"""What people write never reaches the logs, even inside Rasa's error messages."""

import logging

from components.log_privacy import REDACTED, install, redact_text


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
