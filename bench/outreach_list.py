"""List 100,000 prospects from the Outreach sandbox over real HTTP (127.0.0.1) with OutreachClient.

    /work/venv/bin/python bench/outreach_list.py [--prospects 100000] [--page-size 1000]

Prints requests made, records per second and the peak Python memory (tracemalloc) of the client
side while iterating; the sandbox runs in the same process, so its memory is measured apart.
"""

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hullreach.settings")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prospects", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()

    import django
    from django.conf import settings

    django.setup()
    from datetime import timedelta

    from django.utils import timezone

    from connectors.outreach.client import OutreachClient
    from connectors.outreach.ratelimit import RateBudget
    from connectors.outreach.sandbox.server import sandbox_serve
    from connectors.outreach.sandbox.state import OutreachSandbox
    from sync.choices import AuthStatus
    from sync.models import Connector

    sandbox = OutreachSandbox()
    sandbox.record_requests = False  # 100 requests would be fine, but keep the sandbox lean
    seed_started = time.perf_counter()
    sandbox.seed(prospects=args.prospects, accounts=1000, users=5, stages=5)
    print(f"seeded {args.prospects:,} prospects in {time.perf_counter() - seed_started:.1f}s")
    sandbox.token_issue(access_token="bench-token", refresh_token="bench-refresh")
    server = sandbox_serve(sandbox)
    host, port = server.server_address
    settings.OUTREACH_API_URL = f"http://{host}:{port}/api/v2"
    settings.OUTREACH_OAUTH_URL = f"http://{host}:{port}/oauth"

    # An unsaved connector: the bench needs no database (the token is fresh, no refresh happens).
    connector = Connector(
        pk=10**9,
        name="bench",
        outreach_access_token="bench-token",
        outreach_refresh_token="bench-refresh",
        outreach_token_expires_at=timezone.now() + timedelta(hours=2),
        outreach_auth_status=AuthStatus.OK,
    )
    client = OutreachClient(connector, budget=RateBudget("bench", limit=10_000))

    def list_all():
        count = 0
        for page in client.iter_pages("prospect", page_size=args.page_size):
            count += len(page.records)
        return count

    started = time.perf_counter()
    count = list_all()
    elapsed = time.perf_counter() - started
    requests_made = client.request_count
    # A second pass under tracemalloc (which slows everything down) for the peak memory.
    tracemalloc.start()
    list_all()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    server.shutdown()

    assert count == args.prospects, (count, args.prospects)
    print(f"records: {count:,}")
    print(f"requests: {requests_made} (page size {args.page_size})")
    print(f"elapsed: {elapsed:.2f}s  records/s: {count / elapsed:,.0f}")
    print(f"rate-budget wait: {client.budget.waited_seconds:.2f}s")
    print(f"peak traced memory while listing (client and server threads, one page in flight): {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
