"""The outgoing tests' shared world: helpers here, the `leads` fixture in tests/sync/conftest.py."""

from sync.choices import Direction, Entity, JobStatus
from sync.models import AttributeMapping, SyncLog


def lines(event):
    return list(SyncLog.objects.filter(event=event).order_by("id"))


def map_out(connector, hull, service, entity=Entity.USER):
    AttributeMapping.objects.create(
        connector=connector, entity=entity, direction=Direction.OUTGOING, hull=hull, service=service
    )


def map_in(connector, hull, service, entity=Entity.USER):
    AttributeMapping.objects.create(
        connector=connector, entity=entity, direction=Direction.INCOMING, hull=hull, service=service
    )


def writes_of(outreach, method=None):
    return [r for r in outreach.requests if r.path.startswith(("/prospects", "/accounts", "/users")) and (method is None or r.method == method)]


def synced(connector, outreach, hull, run_jobs, *, email, traits, segments, account=None):
    """A Hull user already sent to Outreach once (linked, written back); requests and logs start empty."""
    user = hull.user(email=email, traits=traits, segments=segments, account=account, notify=True)
    hull.notify()
    [job] = run_jobs()
    assert job.status == JobStatus.SUCCEEDED, job.error
    hull.notify()  # the write-back (outreach/id, outreach/title) is notified: nothing mapped changed
    run_jobs()
    outreach.requests.clear()
    SyncLog.objects.all().delete()
    user.refresh_from_db()
    return user
