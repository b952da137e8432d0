"""Hull users and accounts become Outreach prospects and accounts (Hull sandbox → hullreach → Outreach sandbox)."""

import pytest

from sync.choices import Direction, Entity, JobKind, JobStatus, MessageStatus
from sync.models import AttributeMapping, HullMessage, IdLink, SyncJob, SyncLog

pytestmark = pytest.mark.django_db


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


@pytest.fixture
def leads(connector, hull):
    """A synchronized segment "Leads"; title and phone go out; Outreach's title comes back."""
    segment = hull.segment("Leads")
    connector.synchronized_user_segments = [segment.hull_id]
    connector.save()
    map_out(connector, "title", "title")
    map_out(connector, "phone", "workPhones")
    map_in(connector, "outreach/title", "title")
    return segment


def writes_of(outreach, method=None):
    return [r for r in outreach.requests if r.path.startswith(("/prospects", "/accounts", "/users")) and (method is None or r.method == method)]


def test_a_new_user_in_a_synchronized_segment_is_looked_up_then_created_and_written_back(
    connector, outreach, hull, leads, run_jobs
):
    hull.user(email="Leia@Rebellion.org", traits={"title": "General", "phone": "+1555"}, segments=[leads], notify=True)
    hull.notify()

    [job] = run_jobs()

    assert job.kind == JobKind.OUTGOING and job.status == JobStatus.SUCCEEDED, job.error
    [lookup, create] = writes_of(outreach)
    assert (lookup.method, lookup.path) == ("GET", "/prospects")
    assert lookup.query["filter[emails]"] == "leia@rebellion.org"
    assert (create.method, create.path) == ("POST", "/prospects")
    assert create.json == {
        "data": {
            "type": "prospect",
            "attributes": {"title": "General", "workPhones": ["+1555"], "emails": ["Leia@Rebellion.org"]},
        }
    }
    prospect_id = outreach.all("prospect")[0]["id"]
    traits = hull.user_traits(email="leia@rebellion.org")
    assert traits["outreach/id"] == prospect_id
    assert traits["outreach/title"] == "General"
    [success] = lines("outgoing.user.success")
    assert success.payload == {"data": create.json, "type": "Prospect"}
    assert success.outreach_id == prospect_id and success.email == "leia@rebellion.org"
    assert success.message == "entered the synchronized segment Leads"
    assert len(lines("incoming.user.success")) == 1
    link = IdLink.objects.get(entity=Entity.USER, outreach_id=prospect_id)
    assert link.hull_id == hull.find_user(email="leia@rebellion.org").hull_id
    assert link.identity == "leia@rebellion.org" and link.last_pushed_at is not None
    assert link.outreach_values["title"] == "General"
