"""The action server (rasa_sdk): the candidacy checklist's validation and outcome.

Modules, one concern each:
- answer_parsing: free-text answers (yes/no/unsure/skip, numbers, ages) to values
- medications: counting distinct antidepressants named in a message (spaCy)
- checklist_outcome: the one function that decides the outcome, and its action
- candidacy_form: the form's validation and the checklist reset action
"""

from components import log_privacy  # noqa: E402  (keep conversation content out of logs)

log_privacy.install()
