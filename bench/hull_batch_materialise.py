"""Memory and speed of materialising a /batch export (JSON lines) into HullMessage rows.

    DATABASE_URL=sqlite:////tmp/bench-hull.sqlite3 /work/venv/bin/python bench/hull_batch_materialise.py [lines ...]

Serves an export of N generated lines through the in-process Hull sandbox transport and prints the
peak Python memory (tracemalloc) and time for each N. Constant memory means the peak does not grow
with N.
"""

import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hullreach.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/bench-hull-batch.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from connectors.hull import http as hull_http  # noqa: E402
from connectors.hull.sandbox import views as sandbox_views  # noqa: E402
from connectors.hull.sandbox.models import Export  # noqa: E402
from connectors.hull.sandbox.setup import sandbox_organization_ensure  # noqa: E402
from connectors.hull.sandbox.transport import SandboxAdapter  # noqa: E402
from sync.models import Connector, HullMessage, HullNotification  # noqa: E402
from sync.notifications import notification_batch_materialise  # noqa: E402


def generated_lines(export):
    for n in range(export.object_ids[0]):
        line = {
            "id": f"{n:024x}",
            "email": f"user{n}@example.com",
            "traits_outreach/id": n,
            "traits_title": "Engineer",
            "segment_ids": ["s1"],
            "account": {"id": f"a{n % 100}", "domain": f"example{n % 100}.com"},
        }
        yield (json.dumps(line) + "\n").encode()


def main(sizes):
    call_command("migrate", verbosity=0)
    connector, _ = Connector.objects.get_or_create(
        hull_id="bench-connector", defaults={"name": "bench", "hull_organization": "bench.hullapp.io", "hull_secret": "s"}
    )
    organization = sandbox_organization_ensure(connector=connector)
    sandbox_views.export_lines = generated_lines
    adapter = SandboxAdapter()
    hull_http.TRANSPORTS["https://"] = adapter
    for size in sizes:
        export = Export.objects.create(organization=organization, entity="user", object_ids=[size])
        notification = HullNotification.objects.create(
            connector=connector, source=HullNotification.Source.BATCH, channel="user:update", is_export=True,
            url=f"https://exports.bench.test/sandbox/hull/exports/{export.token}.json", object_type="user_report",
        )
        tracemalloc.start()
        started = time.perf_counter()
        count = notification_batch_materialise(notification)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{size:>8} lines  {count:>8} messages  peak {peak / 1e6:6.2f} MB  {elapsed:6.2f} s  "
              f"{count / elapsed:8.0f} lines/s")
        HullMessage.objects.filter(notification=notification).delete()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 50_000])
