"""What a visitor is told when the conversation database is away longer than the retries.

The tracker store raises TrackerStoreUnavailable instead of letting Rasa answer the
turn as a new conversation and then lose it (components/conversation_store.py).
Nothing of the turn was stored, so sending the message again later is safe. REST
answers 503 with a JSON error, socket.io sends the apology as a bot message, SMS
sends its last-resort reply (channels/twilio_sms.py); each gives 988 and 911 first,
as every reply that may reach a person in crisis must.
"""

import logging
from typing import Text

from rasa.core.channels.channel import OutputChannel
from sanic import response
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

STORE_UNAVAILABLE_MESSAGE = (
    "If you are in crisis, call or text 988, or 911 in an emergency. "
    "Sorry, our conversation records are briefly unavailable, so I could not answer "
    "that. Please send your message again in a minute."
)


def rest_unavailable_response() -> HTTPResponse:
    """503 with the apology; Retry-After tells a client when to send the message again."""
    logger.error("REST turn not handled: the conversation database is unavailable")
    return response.json({"error": STORE_UNAVAILABLE_MESSAGE}, status=503,
                         headers={"Retry-After": "30"})


async def apologise(output: OutputChannel, recipient_id: Text) -> None:
    """Sends the apology as a bot message (socket.io)."""
    logger.error("socket.io turn not handled: the conversation database is unavailable")
    await output.send_text_message(recipient_id, STORE_UNAVAILABLE_MESSAGE)
