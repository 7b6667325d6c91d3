"""Runs the Rasa server or the action server without libraries they import but never use.

    python -m scripts.serve_lean rasa run --model ...
    python -m scripts.serve_lean rasa_sdk --actions actions ...

Two imports happen only because a package is installed, and each costs memory and
start-up time on every server (measured with `make bench`; see the README,
"Performance"):

- TensorFlow's TFLite converter imports JAX when it is installed, to convert JAX
  models; TensorFlow's own metadata makes pip install it. Rasa never converts a
  model, and leaving JAX out keeps about 65 MB out of the Rasa server.
- spaCy's machine-learning library (thinc) imports TensorFlow when it is installed,
  to wrap TensorFlow models. The action server uses spaCy's blank English pipeline
  and rule matchers only, so without TensorFlow it needs about 120 MB instead of
  about 490 MB and starts in under a second.

Marking a module as absent in `sys.modules` makes its import raise ImportError,
which both libraries handle as "not installed". Everything else runs unchanged:
the program's own `__main__` with the remaining arguments.
"""

import runpy
import sys
from typing import Dict, List, Tuple

NOT_NEEDED: Dict[str, Tuple[str, ...]] = {
    "rasa": ("jax",),
    "rasa_sdk": ("tensorflow",),
}


def main(argv: List[str]) -> None:
    if not argv or argv[0] not in NOT_NEEDED:
        sys.exit(f"usage: python -m scripts.serve_lean {{{','.join(NOT_NEEDED)}}} [arguments]")
    program, arguments = argv[0], argv[1:]
    for module in NOT_NEEDED[program]:
        sys.modules[module] = None  # type: ignore[assignment]
    sys.argv = [program, *arguments]
    runpy.run_module(program, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
