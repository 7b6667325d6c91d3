"""Input channels of the project's own, referenced from credentials.yml."""
