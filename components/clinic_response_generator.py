"""Response generator that fills the clinic's facts into domain responses.

Responses in the domain say {clinic_phone}, {booking_url} and so on; this generator
(selected in endpoints.yml under `nlg`) fills them from clinic.yml when the Rasa
server starts, so the facts live in one file and no network call or action server is
needed to say them. Slot values and explicit arguments still win over clinic facts.
"""

from typing import Any, Dict, Optional, Text

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from components.clinic_settings import load_clinic_settings


class ClinicResponseGenerator(TemplatedNaturalLanguageGenerator):
    """Rasa's templated responses plus the clinic's facts as template values."""

    def __init__(
        self, endpoint_config: Optional[EndpointConfig] = None, domain: Domain = None
    ) -> None:
        super().__init__((domain or Domain.empty()).responses)
        self.clinic_values = load_clinic_settings().placeholders()

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        """Generates the response with clinic facts available to its template."""
        values = {**self.clinic_values, **tracker.current_slot_values()}
        return self.generate_from_slots(utter_action, values, output_channel, **kwargs)
