"""Input channels of the project's own, referenced from credentials.yml.

Importing this package (the Rasa server does, to load the channels) keeps
conversation content out of the server's logs: see components/log_privacy.py.
"""

from components import log_privacy

log_privacy.install()
