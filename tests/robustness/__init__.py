"""Robustness tests: generated input, command injection, a slow action, a short soak."""
