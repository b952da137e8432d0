"""Outreach webhooks become Hull users and accounts (Outreach sandbox → hullreach → Hull sandbox)."""

import pytest

from connectors.outreach.client import OutreachClient
from connectors.outreach.webhooks import webhook_ensure
from sync.choices import Direction, Entity, JobKind, JobStatus, MessageStatus
from sync.models import AttributeMapping, IdLink, OutreachDelivery, SyncJob, SyncLog

from tests.fixtures_outreach import deliver_to_django_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def wired(connector, outreach, hull, client):
    """Outreach delivers signed webhooks to our endpoint; Hull takes our firehose writes."""
    outreach.deliver = deliver_to_django_client(client)
    webhook_ensure(connector=connector)
    connector.refresh_from_db()
    for hull_name, service in (("outreach/title", "title"), ("outreach/first_name", "firstName")):
        AttributeMapping.objects.create(
            connector=connector, entity=Entity.USER, direction=Direction.INCOMING, hull=hull_name, service=service
        )
    return connector


def lines(event):
    return list(SyncLog.objects.filter(event=event).order_by("id"))


def create_in_outreach(connector, **attributes):
    """A prospect created through the API, as Outreach's UI would: it fires prospect.created."""
    return OutreachClient(connector).prospect_create(attributes=attributes)


def test_a_created_prospect_reaches_hull_with_its_email_in_the_same_job(wired, outreach, hull, run_jobs):
    prospect = create_in_outreach(wired, emails=["Leia@Rebellion.org"], firstName="Leia", title="General")
    gets_before = len(outreach.requests_to("GET", f"/prospects/{prospect['id']}"))

    [job] = run_jobs()

    assert job.kind == JobKind.WEBHOOK and job.status == JobStatus.SUCCEEDED
    traits = hull.user_traits(email="leia@rebellion.org")
    assert traits["outreach/id"] == prospect["id"]
    assert traits["outreach/created_by_webhook"] is True
    assert traits["outreach/title"] == "General"
    assert len(outreach.requests_to("GET", f"/prospects/{prospect['id']}")) == gets_before + 1
    link = IdLink.objects.get(entity=Entity.USER, outreach_id=prospect["id"])
    assert link.identity == "leia@rebellion.org"
    assert lines("incoming.user.success")[0].email == "leia@rebellion.org"


def test_an_update_writes_only_the_mapped_attributes_it_carries(wired, outreach, hull, run_jobs):
    outreach.seed(prospects=1)
    prospect = outreach.all("prospect")[0]
    outreach.change("prospect", prospect["id"], {"title": "Admiral", "addressCity": "Mon Cala"})
    run_jobs()

    [write] = [w for w in hull.writes() if w.kind == "traits"]
    user = hull.find_user(anonymous_id=f"outreach:{prospect['id']}")
    assert user.traits["outreach/title"] == "Admiral"
    assert "outreach/first_name" not in user.traits  # not in the payload: left alone
    assert lines("incoming.user.success")[0].payload["type"] == "WebPayload"


def test_a_touched_update_of_a_known_prospect_is_skipped_with_a_reason(wired, outreach, hull, run_jobs):
    outreach.seed(prospects=1)
    prospect = outreach.all("prospect")[0]
    IdLink.objects.create(connector=wired, entity=Entity.USER, outreach_id=prospect["id"])
    outreach.change("prospect", prospect["id"], {"touchedAt": "2026-11-27T01:00:00.000Z"})

    [job] = run_jobs()

    assert job.skipped == 1 and job.succeeded == 0
    assert hull.writes() == []
    [skip] = lines("incoming.user.skip")
    assert skip.outreach_id == prospect["id"]
    assert skip.message


def test_an_account_webhook_writes_the_name_only_if_hull_has_none(wired, outreach, hull, run_jobs):
    outreach.seed(accounts=1, prospects=0)
    account = outreach.all("account")[0]
    existing = hull.account(
        domain="company1.example.com", anonymous_ids=[f"outreach:{account['id']}"], traits={"name": "Company One (Hull)"}
    )
    outreach.change("account", account["id"], {"name": "Company One Renamed"})

    run_jobs()

    existing.refresh_from_db()
    assert existing.traits["name"] == "Company One (Hull)"
    assert existing.traits["outreach/id"] == account["id"]
    assert lines("incoming.account.success")[0].outreach_id == account["id"]


def test_linking_creates_a_shell_account_in_hull(wired, outreach, hull, run_jobs):
    wired.link_users_in_hull = True
    wired.save()
    outreach.seed(prospects=1, accounts=0)
    shell_account = outreach.account_add(name="Rebel Alliance", domain="rebellion.org")
    prospect = outreach.all("prospect")[0]
    outreach.change("prospect", prospect["id"], {}, {"account": shell_account["id"]})

    run_jobs()

    user = hull.find_user(anonymous_id=f"outreach:{prospect['id']}")
    assert user.account is not None
    assert f"outreach:{shell_account['id']}" in user.account.anonymous_ids


def test_a_deleted_prospect_is_marked_in_hull_and_its_link_dropped(wired, outreach, hull, run_jobs):
    prospect = create_in_outreach(wired, emails=["gone@example.com"])
    run_jobs()
    assert IdLink.objects.filter(outreach_id=prospect["id"]).exists()

    OutreachClient(wired).request("DELETE", f"prospects/{prospect['id']}")
    run_jobs()

    assert hull.user_traits(email="gone@example.com")["outreach/deleted_at"]
    assert not IdLink.objects.filter(outreach_id=prospect["id"]).exists()
    assert "deleted in Outreach" in lines("incoming.user.success")[-1].message


def test_other_resources_are_kept_and_skipped_without_failing(wired, hull, client, run_jobs):
    import hashlib
    import hmac

    from tests.conftest import FIXTURES

    raw = (FIXTURES / "webhook-payloads" / "mailing-delivered.json").read_bytes()
    secret = wired.outreach_webhook_secret
    client.post(
        f"/webhooks/outreach/{wired.webhook_token}",
        data=raw,
        content_type="application/vnd.api+json",
        HTTP_OUTREACH_WEBHOOK_SIGNATURE=hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest(),
    )

    [job] = run_jobs()

    assert job.status == JobStatus.SUCCEEDED and job.skipped == 1
    assert OutreachDelivery.objects.get().status == MessageStatus.SKIPPED
    assert hull.writes() == []


def test_a_hull_outage_retries_the_job_and_loses_no_delivery(wired, outreach, hull, run_jobs):
    outreach.seed(prospects=1)
    prospect = outreach.all("prospect")[0]
    hull.fail_firehose(503, 503, 503, 503)
    outreach.change("prospect", prospect["id"], {"title": "Commander"})

    [job] = run_jobs()

    job.refresh_from_db()
    assert job.status == JobStatus.RETRYING
    assert OutreachDelivery.objects.get().status == MessageStatus.PENDING
    assert not IdLink.objects.exists()

    SyncJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    run_jobs()

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert hull.find_user(anonymous_id=f"outreach:{prospect['id']}").traits["outreach/title"] == "Commander"
    assert OutreachDelivery.objects.get().status == MessageStatus.SUCCEEDED


def test_a_job_waits_when_outreach_needs_reauthorization(wired, outreach, hull, run_jobs):
    prospect = create_in_outreach(wired, emails=["late@example.com"])
    outreach.token_expire_now()
    outreach.refresh_token_revoke()

    [job] = run_jobs()

    job.refresh_from_db()
    assert job.status == JobStatus.WAITING
    assert OutreachDelivery.objects.get(resource_id=prospect["id"]).status == MessageStatus.PENDING
