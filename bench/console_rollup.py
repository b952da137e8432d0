"""What the console's rollup costs and saves. Prints numbers; asserts nothing.

    python bench/console_rollup.py [LINES]

On a throwaway test database: the time of N sync_log calls (each also bumps SyncStat), and the
time of the dashboard and connectors-list queries over those lines.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hullreach.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def main(lines: int) -> None:
    setup_test_environment()
    old = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from sync.dashboard import dashboard_series
        from sync.logs import sync_log
        from sync.models import Connector, SyncLog
        from sync.selectors import connector_list_annotated

        connector = Connector.objects.create(name="bench", hull_id="bench", hull_organization="b.hullapp.io")
        events = ["incoming.user.success", "outgoing.user.skip", "outgoing.user.error", "incoming.account.success"]
        start = time.perf_counter()
        for i in range(lines):
            sync_log(connector=connector, event=events[i % 4], email=f"u{i}@example.com")
        elapsed = time.perf_counter() - start
        print(f"{connection.vendor}: {lines} sync_log calls with rollup: {elapsed:.2f}s ({elapsed / lines * 1e6:.0f} µs/line)")
        start = time.perf_counter()
        for i in range(lines):
            SyncLog.objects.create(connector=connector, event=events[i % 4], email=f"u{i}@example.com")
        raw = time.perf_counter() - start
        print(f"{connection.vendor}: {lines} bare SyncLog inserts:       {raw:.2f}s ({raw / lines * 1e6:.0f} µs/line)")
        for name, fn in (
            ("dashboard_series (7 days)", lambda: dashboard_series(connector=connector)),
            ("connector list annotations", lambda: list(connector_list_annotated())),
        ):
            start = time.perf_counter()
            for _ in range(20):
                fn()
            print(f"{name}: {(time.perf_counter() - start) / 20 * 1000:.1f} ms per call")
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
