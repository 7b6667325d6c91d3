"""What makes a trained component of this project out of date.

Rasa reuses a trained component from its cache (.rasa/cache) while the component's
config and training data are unchanged, even when the code that trained it has
changed: a model could then hold data in a form the new code cannot read. A
component's fingerprint_addon() therefore includes the source of the modules that
shape what it stores, and the data files it reads itself.
"""

import hashlib
import sys
from pathlib import Path
from typing import Iterable, Text


def fingerprint(modules: Iterable[Text], files: Iterable[Path] = ()) -> Text:
    """sha256 over the source files of the named (imported) modules and over files."""
    digest = hashlib.sha256()
    paths = [Path(sys.modules[name].__file__) for name in modules] + list(files)
    for path in paths:
        digest.update(path.name.encode("utf-8"))
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()
