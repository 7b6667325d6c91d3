"""`make purge`: deletes conversations that have been quiet longer than the retention period.

Works on whichever tracker store the endpoints file configures (SQLite by default,
PostgreSQL in production: `make purge ENDPOINTS=endpoints.production.yml`, with the
production environment loaded). The retention period is clinic.yml's
privacy.retention_days unless --days is given. An SMS number that opted out keeps a
content-free record of the opt-out (components/conversation_store.py). Cron lines
for a nightly purge, one server on SQLite, or the production profile:

    15 3 * * *  cd /srv/tms-assistant && make purge >> var/purge.log 2>&1
    15 3 * * *  cd /srv/tms-assistant && set -a && . /etc/tms-assistant.env && make purge ENDPOINTS=endpoints.production.yml >> var/purge.log 2>&1
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
    endpoints_file = Path(args.endpoints).resolve()
    os.chdir(ROOT)  # the endpoints' relative paths (var/conversations.db) are the project's
    days = args.days
    if days is None:
        days = float(load_clinic_settings().privacy.get("retention_days", 90))
    if days <= 0:
        print("ERROR: --days must be positive", file=sys.stderr)
        return 2
    endpoints = read_endpoints_from_path(str(endpoints_file))
    store = TrackerStore.create(endpoints.tracker_store)
    if not isinstance(store, ConversationStore):
        print(f"ERROR: {args.endpoints} does not use components.conversation_store.ConversationStore",
              file=sys.stderr)
        return 2
    purged = store.delete_inactive(days)
    print(f"Deleted {purged.conversations} conversation(s) quiet for more than {days:g} days "
          f"from {describe(store)}; {purged.opt_outs_kept} opted-out SMS number(s) keep only "
          "a content-free record of the opt-out.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
