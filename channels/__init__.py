"""Input channels of the project's own, referenced from credentials.yml.

Importing this package (the Rasa server does, to load the channels) keeps
conversation content out of the server's logs (components/log_privacy.py) and
applies the fixes to Rasa's hot paths (components/rasa_speedups.py).
"""

from components import log_privacy, rasa_speedups

log_privacy.install()
rasa_speedups.install()
