"""Outgoing sync cost: Outreach requests per message and messages per second, for three shapes.

    /work/venv/bin/python bench/outgoing.py [--users 1000]
    (DATABASE_URL defaults to a fresh sqlite:////tmp/bench-outgoing.sqlite3; set it for PostgreSQL)

Each shape is one stored user:update notification of N messages, run by the real job runner against
the in-process Outreach sandbox (every request counted) and the Hull sandbox (firehose write-backs):

- linked_changed: users linked to prospects (IdLink), one mapped attribute changed -> goal 1 request;
- linked_unchanged: the same, but Outreach already has the value (a redelivery)   -> goal 0;
- new: users Outreach has never seen                                                -> goal at most 2.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hullreach.settings")
DEFAULT_DB = "/tmp/bench-outgoing.sqlite3"
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DEFAULT_DB}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    if os.environ["DATABASE_URL"] == f"sqlite:///{DEFAULT_DB}" and os.path.exists(DEFAULT_DB):
        os.remove(DEFAULT_DB)

    import django
    from django.conf import settings

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from connectors.hull import http as hull_http
    from connectors.hull.messages import message_normalise
    from connectors.hull.sandbox.setup import sandbox_organization_ensure
    from connectors.hull.sandbox.transport import SandboxAdapter as HullAdapter
    from connectors.outreach import http as outreach_http
    from connectors.outreach.sandbox.state import OutreachSandbox
    from connectors.outreach.sandbox.transport import SandboxAdapter as OutreachAdapter
    from sync.choices import AuthStatus, Direction, Entity, JobKind, JobStatus
    from sync.jobs import job_create, job_run
    from sync.models import AttributeMapping, Connector, HullMessage, HullNotification, IdLink, SyncJob

    call_command("migrate", verbosity=0)
    Connector.objects.filter(name="bench").delete()
    connector = Connector.objects.create(
        name="bench",
        hull_id="bench-connector",
        hull_organization="bench.hullapp.io",
        hull_secret="bench-secret",
        outreach_access_token="bench-token",
        outreach_refresh_token="bench-refresh",
        outreach_token_expires_at=timezone.now() + timedelta(hours=2),
        outreach_auth_status=AuthStatus.OK,
        synchronized_user_segments=["leads"],
    )
    for hull_name, service, direction in (
        ("title", "title", Direction.OUTGOING),
        ("phone", "workPhones", Direction.OUTGOING),
        ("outreach/title", "title", Direction.INCOMING),
    ):
        AttributeMapping.objects.create(
            connector=connector, entity=Entity.USER, direction=direction, hull=hull_name, service=service
        )
    sandbox_organization_ensure(connector=connector)
    hull_adapter = HullAdapter()
    hull_http.TRANSPORTS["https://"] = hull_adapter
    hull_http.TRANSPORTS["http://"] = hull_adapter
    outreach = OutreachSandbox(rate_limit=100_000)
    outreach.token_issue(access_token="bench-token", refresh_token="bench-refresh")
    outreach_adapter = OutreachAdapter(outreach)
    for url in (settings.OUTREACH_API_URL, settings.OUTREACH_OAUTH_URL):
        parts = url.split("/")
        outreach_http.transport_install("/".join(parts[:3]) + "/", outreach_adapter)
    settings.OUTREACH_RATE_LIMIT_PER_HOUR = 100_000

    n = args.users
    segment = {"id": "leads", "name": "Leads"}

    def message(i, *, prefix, outreach_id=None, title_before="Engineer", title="Director"):
        user = {"id": f"{prefix}{i:020d}", "email": f"{prefix}{i}@example.com", "traits_title": title,
                "traits_phone": "+1555000"}
        if outreach_id is not None:
            user["traits_outreach/id"] = outreach_id
        return message_normalise(
            {"user": user, "account": {}, "segments": [segment],
             "changes": {"user": {"traits_title": [title_before, title]}}},
            is_export=False,
        )

    def linked(prefix, title_in_outreach):
        messages = []
        links = []
        for i in range(n):
            prospect = outreach.prospect_add(emails=[f"{prefix}{i}@example.com"], title=title_in_outreach,
                                             workPhones=["+1555000"])
            values = {"emails": [f"{prefix}{i}@example.com"], "title": title_in_outreach, "workPhones": ["+1555000"]}
            links.append(IdLink(connector=connector, entity=Entity.USER, hull_id=f"{prefix}{i:020d}",
                                outreach_id=prospect["id"], identity=f"{prefix}{i}@example.com",
                                outreach_values=values))
            messages.append(message(i, prefix=prefix, outreach_id=prospect["id"]))
        IdLink.objects.bulk_create(links)
        return messages

    shapes = [
        ("linked_changed", lambda: linked("c", "Engineer"), "1"),
        ("linked_unchanged", lambda: linked("u", "Director"), "0"),
        ("new", lambda: [message(i, prefix="n") for i in range(n)], "<= 2"),
    ]
    print(f"{'shape':<18}{'messages':>9}{'requests':>10}{'req/msg':>9}{'goal':>7}{'msg/s':>9}  outcome")
    for name, build, goal in shapes:
        messages = build()
        notification = HullNotification.objects.create(
            connector=connector, notification_id=f"bench-{name}", channel="user:update", message_count=len(messages)
        )
        HullMessage.objects.bulk_create(
            [HullMessage(notification=notification, position=p, entity=Entity.USER, hull_id=m["user"]["id"], body=m)
             for p, m in enumerate(messages)],
            batch_size=500,
        )
        job = job_create(connector=connector, kind=JobKind.OUTGOING, started_by="bench", notification=notification,
                         enqueue=False)
        outreach.requests.clear()
        started = time.perf_counter()
        job = job_run(job.pk)
        while job.status == "queued":  # a long job hands its worker back in slices (JobYield)
            job = job_run(job.pk)
        elapsed = time.perf_counter() - started
        api = [r for r in outreach.requests if not r.path.startswith("/oauth")]
        assert job.status == JobStatus.SUCCEEDED, job.error
        print(f"{name:<18}{n:>9}{len(api):>10}{len(api) / n:>9.2f}{goal:>7}{n / elapsed:>9.0f}  "
              f"{job.succeeded} sent, {job.skipped} skipped, {job.failed} failed")
    SyncJob.objects.filter(connector=connector).delete()


if __name__ == "__main__":
    main()
