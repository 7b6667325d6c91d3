"""`make purge`: deletes conversations that have been quiet longer than the retention period.

Works on whichever tracker store the endpoints file configures (SQLite by default,
PostgreSQL in production). The retention period is clinic.yml's
privacy.retention_days unless --days is given. A cron line for a nightly purge:

    15 3 * * *  cd /srv/tms-assistant && make purge >> var/purge.log 2>&1
"""

import argparse
import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from rasa.core.tracker_store import TrackerStore  # noqa: E402
from rasa.core.utils import read_endpoints_from_path  # noqa: E402

from components.clinic_settings import load_clinic_settings  # noqa: E402
from components.conversation_store import ConversationStore, describe  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, help="retention in days (default: clinic.yml)")
    parser.add_argument("--endpoints", default=str(ROOT / "endpoints.yml"))
    args = parser.parse_args()
    os.chdir(ROOT)
    days = args.days
    if days is None:
        days = float(load_clinic_settings().privacy.get("retention_days", 90))
    if days <= 0:
        print("ERROR: --days must be positive", file=sys.stderr)
        return 2
    endpoints = read_endpoints_from_path(args.endpoints)
    store = TrackerStore.create(endpoints.tracker_store)
    if not isinstance(store, ConversationStore):
        print(f"ERROR: {args.endpoints} does not use components.conversation_store.ConversationStore",
              file=sys.stderr)
        return 2
    deleted = store.delete_inactive(days)
    print(f"Deleted {deleted} conversation(s) quiet for more than {days:g} days from {describe(store)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
