"""The action server (rasa_sdk): the candidacy checklist's validation and outcome.

Modules, one concern each:
- answer_parsing: free-text answers (yes/no/unsure/skip, numbers, ages) to values
- answer_words: a reply's words and clauses, and the listed phrases found in them
- medications: counting distinct antidepressants named in a message (spaCy)
- checklist_outcome: the one function that decides the outcome, and its action
- candidacy_form: the form's validation and the checklist reset action

Importing the package (the action server does at start-up) keeps conversation
content out of the logs and builds the medication matcher, so that the first
visitor to name a medication does not wait half a second for spaCy.
"""

from components import log_privacy  # noqa: E402  (keep conversation content out of logs)

log_privacy.install()

from actions.medications import medication_matcher  # noqa: E402

medication_matcher()
