"""The project's actions, with a checklist validation that takes 5 seconds (test only).

Started by tests/robustness/test_slow_action.py as
`python -m rasa_sdk --actions tests.robustness.slow_actions`. It imports every module
of the `actions` package (so every action the assistant has is registered, and its
names are re-exported here) and adds a subclass of ValidateCandidacyForm under the
same action name. rasa_sdk registers a subclass after its parent, so this one is
what answers `validate_candidacy_form`. The wait is asynchronous, as a slow
database or web service would be.
"""

import asyncio
import importlib
import pkgutil
from typing import Any, Dict, List, Text

import actions
from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

for _module in pkgutil.iter_modules(actions.__path__):
    _loaded = importlib.import_module(f"{actions.__name__}.{_module.name}")
    globals().update({name: value for name, value in vars(_loaded).items()
                      if not name.startswith("_")})

from actions.candidacy_form import ValidateCandidacyForm  # noqa: E402

SLOW_VALIDATION_S = 5.0


class SlowValidateCandidacyForm(ValidateCandidacyForm):
    """validate_candidacy_form, SLOW_VALIDATION_S seconds late."""

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        await asyncio.sleep(SLOW_VALIDATION_S)
        return await super().get_validation_events(dispatcher, tracker, domain)
