"""Test set-up shared by every test folder: makes the project root importable.

With it, `import actions` and `import components` work however pytest is started.
"""

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))
