"""Fetch all prospects from the Outreach sandbox (over real HTTP on 127.0.0.1) into the Hull sandbox.

    ./scripts/test --version >/dev/null; .venv/bin/python bench/fetch_all.py [--prospects 100000]

Runs the real FETCH_PROSPECTS job (sync.fetch) on a throwaway SQLite database: Outreach pages of 1000,
Hull firehose batches of 100 applied by the Hull sandbox in-process, IdLinks and log lines saved.
Prints Outreach requests, Hull firehose requests, records per second, and how much the process's
peak memory (max RSS) grew during the fetch: the Outreach sandbox's store of N prospects is built
before the fetch starts, so the growth is what the fetch itself needed. The Hull sandbox's own work (identity
resolution in the database) is most of the time: `--hull-apply-off` measures hullreach alone.
"""

import argparse
import os
import sys
import tempfile
import time
import resource
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hullreach.settings")
DB = Path(tempfile.mkdtemp(prefix="hullreach-bench-")) / "bench.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.pop("REDIS_URL", None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prospects", type=int, default=100_000)
    parser.add_argument("--hull-apply-off", action="store_true", help="answer firehose batches without applying them")
    args = parser.parse_args()

    import django
    from django.conf import settings

    django.setup()
    from datetime import timedelta

    import requests
    from django.core.management import call_command
    from django.utils import timezone

    from connectors.hull import http as hull_http
    from connectors.hull.sandbox.setup import sandbox_organization_ensure
    from connectors.hull.sandbox.transport import SandboxAdapter
    from connectors.outreach.sandbox.server import sandbox_serve
    from connectors.outreach.sandbox.state import OutreachSandbox
    from sync.choices import AuthStatus, JobKind
    from sync.jobs import job_create, job_run
    from sync.models import Connector, IdLink, SyncLog

    call_command("migrate", verbosity=0)
    sandbox = OutreachSandbox()
    sandbox.record_requests = False
    started = time.perf_counter()
    sandbox.seed(prospects=args.prospects, accounts=max(1, args.prospects // 20), users=5, stages=5)
    print(f"seeded {args.prospects:,} prospects in {time.perf_counter() - started:.1f}s")
    sandbox.token_issue(access_token="bench-token", refresh_token="bench-refresh")
    server = sandbox_serve(sandbox)
    host, port = server.server_address
    settings.OUTREACH_API_URL = f"http://{host}:{port}/api/v2"
    settings.OUTREACH_OAUTH_URL = f"http://{host}:{port}/oauth"

    connector = Connector.objects.create(
        name="bench",
        hull_id="5c0fd68a1b0d2b1f0e00beef",
        hull_organization="bench.hullapp.io",
        hull_secret="bench-hull-secret",
        outreach_access_token="bench-token",
        outreach_refresh_token="bench-refresh",
        outreach_token_expires_at=timezone.now() + timedelta(hours=2),
        outreach_auth_status=AuthStatus.OK,
        link_users_in_hull=True,
    )
    sandbox_organization_ensure(connector=connector)

    firehose_requests = {"n": 0}

    class CountingAdapter(SandboxAdapter):
        def send(self, request, **kwargs):
            firehose_requests["n"] += 1
            if args.hull_apply_off:
                response = requests.Response()
                response.status_code, response._content, response.url = 200, b'{"ok": true}', request.url
                return response
            return super().send(request, **kwargs)

    adapter = CountingAdapter()
    hull_http.TRANSPORTS["https://"] = adapter

    outreach_requests = {"n": 0}
    from connectors.outreach import client as client_module

    real_request = client_module.OutreachClient.request

    def counted(self, *a, **kw):
        outreach_requests["n"] += 1
        return real_request(self, *a, **kw)

    client_module.OutreachClient.request = counted

    job = job_create(connector=connector, kind=JobKind.FETCH_PROSPECTS, started_by="bench", enqueue=False)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    job = job_run(job.pk)
    while job.status == "queued":  # a long job hands its worker back in slices (JobYield)
        job = job_run(job.pk)
    elapsed = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    server.shutdown()

    assert job.status == "succeeded", job.error
    assert IdLink.objects.count() == args.prospects
    print(f"job: {job.status}, {job.succeeded:,} records written, {SyncLog.objects.count():,} log lines")
    print(f"Outreach requests: {outreach_requests['n']} ({outreach_requests['n'] / args.prospects:.4f} per record)")
    print(f"Hull firehose requests: {firehose_requests['n']} ({args.prospects / max(1, firehose_requests['n']):.0f} entries each)")
    print(f"records per second: {args.prospects / elapsed:,.0f} ({elapsed:.1f}s)")
    print(f"peak memory: {rss_after / 1024:.0f} MB max RSS, grew {(rss_after - rss_before) / 1024:.1f} MB during the fetch")


if __name__ == "__main__":
    main()
