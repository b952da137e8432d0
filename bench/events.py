"""Historical event fetch end to end: Outreach sandbox (in-process) → sync/events.py → a Hull firehose
stub that accepts every batch, on a throwaway SQLite database.

    /work/venv/bin/python bench/events.py [--events 20000] [--whitelisted 3]

Prints the Outreach requests by path (the point: one /mailings request per page, maps read once),
firehose requests, events per second, the SentOutreachEvent and SyncLog rows written, and the
wall time of a second run over the same events (all already sent: nothing goes to Hull).
"""

import argparse
import collections
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hullreach.settings")
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='hullreach-bench-')}/bench.sqlite3"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--whitelisted", type=int, default=3, help="how many of the three seeded names are whitelisted")
    args = parser.parse_args()

    import django

    django.setup()
    from datetime import timedelta

    import requests
    from django.core.management import call_command
    from django.utils import timezone

    from connectors.hull import http as hull_http
    from connectors.outreach import http
    from connectors.outreach.sandbox.state import OutreachSandbox
    from connectors.outreach.sandbox.transport import SandboxAdapter
    from sync.choices import AuthStatus, JobKind
    from sync.jobs import job_create, job_run
    from sync.models import Connector, SentOutreachEvent, SyncLog

    call_command("migrate", verbosity=0)

    class AcceptAll(requests.adapters.BaseAdapter):
        count = 0
        entries = 0

        def send(self, request, **kwargs):
            AcceptAll.count += 1
            AcceptAll.entries += request.body.count(b'"type": "track"') + request.body.count(b'"type":"track"')
            response = requests.Response()
            response.status_code, response._content, response.url = 200, b"{}", request.url
            return response

        def close(self):
            pass

    hull_http.TRANSPORTS["https://"] = AcceptAll()

    sandbox = OutreachSandbox()
    sandbox.seed(prospects=500, users=5, stages=3)
    started = time.perf_counter()
    sandbox.events_seed(count=args.events)
    print(f"seeded {args.events:,} events in {time.perf_counter() - started:.1f}s")
    sandbox.token_issue(access_token="bench-token", refresh_token="bench-refresh")
    from django.conf import settings

    http.transport_install("https://api.outreach.io/", SandboxAdapter(sandbox))
    settings.OUTREACH_API_URL = "https://api.outreach.io/api/v2"

    names = ["message_opened", "message_clicked", "outbound_message"][: args.whitelisted]
    connector = Connector.objects.create(
        name="bench", hull_id="5c0fd68a1b0d2b1f0e000001", hull_organization="bench.hullapp.io", hull_secret="s",
        outreach_access_token="bench-token", outreach_refresh_token="bench-refresh",
        outreach_token_expires_at=timezone.now() + timedelta(hours=2), outreach_auth_status=AuthStatus.OK,
        events_to_fetch=names,
    )

    for label in ("first run", "second run (all already sent)"):
        sandbox.requests.clear()
        AcceptAll.count = AcceptAll.entries = 0
        job = job_create(connector=connector, kind=JobKind.FETCH_EVENTS, started_by="bench", enqueue=False)
        started = time.perf_counter()
        job = job_run(job.pk)
        while job.status == "queued":  # a long job hands its worker back in slices (JobYield)
            job = job_run(job.pk)
        seconds = time.perf_counter() - started
        by_path = collections.Counter(r.path for r in sandbox.requests)
        print(f"{label}: {job.status} in {seconds:.2f}s, {job.progress_done:,} events read, "
              f"{job.succeeded:,} sent ({job.succeeded / seconds:,.0f}/s), {job.skipped:,} skipped")
        print(f"  Outreach requests: {dict(sorted(by_path.items()))}")
        print(f"  firehose requests: {AcceptAll.count:,} carrying {AcceptAll.entries:,} tracks")
    print(f"SentOutreachEvent rows: {SentOutreachEvent.objects.count():,}; "
          f"SyncLog rows: {SyncLog.objects.count():,}")


if __name__ == "__main__":
    main()
