"""Fixes to hot paths of Rasa 3.6.21: three that cost more than the rest of a turn, one
that repeated work at every merge of the training data.

Each keeps Rasa's behaviour exactly and only stops it from redoing work whose result
is known; `install()` applies them in the Rasa server (channels/__init__.py imports
it) and in training (scripts/train_with_speedups.py, which `make train` runs).
tests/unit/test_rasa_speedups.py checks that Rasa's answers are unchanged; the
benchmark (`make bench`) measures what they buy, see the README.

- Checking the action server's answers. Rasa validates every answer with
  `jsonschema.validate`, which first validates the constant schema itself against
  the JSON Schema meta-schema: about 60 to 110 ms of the server's only event loop
  per custom action call with jsonschema 4.17. A validator built once for the same
  schema accepts the same answers and raises the same ValidationError, with
  Rasa's message, for the others.
- Reading stored events. `Event.resolve_by_type` walks every subclass of Event
  (recursively, checking each for abstract methods) for each stored event, so
  loading a conversation of 100 events walks the class tree 100 times. The class
  found for a type name is remembered; unknown names still go through Rasa's
  lookup, with its errors and defaults.
- Matching rules. RulePolicy narrows its rules down by walking the conversation's
  states backwards, one state at a time, over the whole conversation, although no
  rule is longer than a few states: past the longest rule every remaining rule
  matches every state, and once none is left none can come back. The walk now stops
  there, so a turn's cost no longer grows with the length of the conversation. And
  it first tried all rules (200 here) on the latest state; a rule whose last state
  names a previous action can only match when that action just ran, so the rules
  are indexed by it and only the few that can match are tried.
- Merging training data. Each data file is read into its own TrainingData and they
  are merged one by one; every merge strips each example's intent and sets it again,
  and setting a property forgets the example's fingerprint, by which the merge drops
  duplicates. So every example was fingerprinted again at every merge: about 500,000
  fingerprints for 10,800 examples (benchmarks/training_launchers.sh: a training 5 to
  9% shorter without them, median ratios 0.95 and 0.91). Setting a text property
  to the text it already holds changes nothing the fingerprint covers, and now keeps
  it.
"""

from functools import lru_cache
from typing import Any, Dict, List, Optional, Set, Text, Tuple, Type

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
from rasa.shared.core.events import Event
from rasa.shared.nlu.constants import ACTION_NAME
from rasa.shared.nlu.training_data.message import Message

_rasa_resolve_by_type = Event.resolve_by_type
_rasa_message_set = Message.set
_rasa_get_possible_keys = RulePolicy._get_possible_keys  # kept for the tests
_event_classes: Dict[Text, Type[Event]] = {}
# id(lookup) -> (the lookup, its size, {previous action or None: rule keys}, longest rule)
_rule_indexes: Dict[int, Tuple[Dict[Text, Text], int, Dict[Optional[Text], List[Text]], int]] = {}


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, as jsonschema.validate does every time
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """RemoteAction._validate_action_result with the schema checked once per process."""
    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error


def resolve_event_type(
    type_name: Text, default: Optional[Type[Event]] = None
) -> Optional[Type[Event]]:
    """Event.resolve_by_type, remembering the class found for each type name."""
    found = _event_classes.get(type_name)
    if found is None:
        found = _rasa_resolve_by_type(type_name, default)
        if found is not None and found is not default:
            _event_classes[type_name] = found
    return found


def _previous_action(state: Dict[Text, Any]) -> Optional[Text]:
    """The action name a state's previous action requires, if it requires one."""
    name = state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)
    return name if name and name != SHOULD_NOT_BE_SET else None


def _rule_index(
    self: RulePolicy, lookup: Dict[Text, Text]
) -> Tuple[Dict[Optional[Text], List[Text]], int]:
    """The lookup's rule keys by the previous action their last state requires (None:
    any), and the length of its longest rule; rebuilt when the lookup changes."""
    cached = _rule_indexes.get(id(lookup))
    if cached is None or cached[0] is not lookup or cached[1] != len(lookup):
        index: Dict[Optional[Text], List[Text]] = {}
        longest = 0
        for key in lookup:
            rule_states = self._rule_key_to_state(key)
            longest = max(longest, len(rule_states))
            index.setdefault(_previous_action(rule_states[-1]) if rule_states else None,
                             []).append(key)
        cached = (lookup, len(lookup), index, longest)
        _rule_indexes[id(lookup)] = cached
    return cached[2], cached[3]


def get_possible_keys(
    self: RulePolicy, lookup: Dict[Text, Text], states: List[Dict[Text, Any]]
) -> Set[Text]:
    """RulePolicy._get_possible_keys, trying only rules that can still match."""
    index, longest = _rule_index(self, lookup)
    if not states:
        return set(lookup.keys())
    latest = states[-1]
    candidates = index.get(None, [])
    if _previous_action(latest) is not None:
        candidates = candidates + index.get(_previous_action(latest), [])
    possible_keys = {key for key in candidates if self._is_rule_applicable(key, 0, latest)}
    for turn_index, state in enumerate(reversed(states[:-1]), start=1):
        if turn_index >= longest or not possible_keys:
            break
        possible_keys = {
            key for key in possible_keys if self._is_rule_applicable(key, turn_index, state)
        }
    return possible_keys


def set_message_property(self: Message, prop: Text, info: Any, add_to_output: bool = False) -> None:
    """Message.set, keeping the fingerprint when a text property gets the text it holds."""
    if isinstance(info, str) and not add_to_output and self.data.get(prop) == info:
        return
    _rasa_message_set(self, prop, info, add_to_output)


def install() -> None:
    """Applies the four fixes to this process."""
    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_event_type)
    RulePolicy._get_possible_keys = get_possible_keys
    Message.set = set_message_property
