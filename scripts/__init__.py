"""Developer scripts: the launcher behind `make run`, the demo page server, checks."""
