"""Runs `rasa train` with the project's fixes to Rasa's hot paths applied.

    python -m scripts.train_with_speedups --config config.yml --domain domain --data data ...

The arguments are `rasa train`'s. components/rasa_speedups.py keeps Rasa's behaviour
exactly; one of its fixes stops training data from being fingerprinted again at every
merge of its files (5 to 9% of a training, benchmarks/training_launchers.sh). `make train` and
`make bench` (for both configs) train through here.
"""

import runpy
import sys

from components import rasa_speedups


def main(arguments: list) -> None:
    rasa_speedups.install()
    sys.argv = ["rasa", "train", *arguments]
    runpy.run_module("rasa", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
