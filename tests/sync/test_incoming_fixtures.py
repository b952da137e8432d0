"""Each captured Outreach webhook shape (shared/fixtures/hull-outreach/webhook-payloads), end to end:
signed delivery → our endpoint → the webhook job → the Hull writes, or the skip, staff would see."""

import hashlib
import hmac

import pytest

from sync.choices import Direction, Entity
from sync.models import AttributeMapping, IdLink, SyncLog

from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

SECRET = "fixture-webhook-secret"


@pytest.fixture
def world(connector, outreach, hull):
    connector.outreach_webhook_id = "1"
    connector.outreach_webhook_secret = SECRET
    connector.link_users_in_hull = True
    connector.save()
    for entity, hull_name, service in (
        (Entity.USER, "outreach/title", "title"),
        (Entity.USER, "outreach/address_street", "addressStreet"),
        (Entity.USER, "outreach/stage", "stageName"),
        (Entity.USER, "outreach/owner_email", "ownerEmail"),
        (Entity.ACCOUNT, "outreach/custom1", "custom1"),
    ):
        AttributeMapping.objects.create(
            connector=connector, entity=entity, direction=Direction.INCOMING, hull=hull_name, service=service
        )
    stage = outreach.stage_add(name="Approaching")
    for _ in range(2):
        outreach.prospect_add(emails=["someone.else@example.com"])
    luke = outreach.prospect_add(emails=["Luke@Rebellion.org"], firstName="Luke")
    assert luke["id"] == 3 and stage["id"] == 1  # the ids the captures use
    return connector


def deliver(client, connector, name):
    raw = (FIXTURES / "webhook-payloads" / name).read_bytes()
    response = client.post(
        f"/webhooks/outreach/{connector.webhook_token}",
        data=raw,
        content_type="application/vnd.api+json",
        HTTP_OUTREACH_WEBHOOK_SIGNATURE=hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest(),
    )
    assert response.status_code == 200, response.content


def known(connector, entity, outreach_id):
    IdLink.objects.create(connector=connector, entity=entity, outreach_id=outreach_id)


def test_prospect_created_writes_the_user_with_its_email_stage_owner_and_account_link(world, client, hull, run_jobs):
    deliver(client, world, "prospect-created.json")
    run_jobs()

    luke = hull.find_user(email="luke@rebellion.org")
    assert "outreach:3" in luke.anonymous_ids
    assert luke.traits["outreach/id"] == 3
    assert luke.traits["outreach/title"] == "Jedi Knight"
    assert luke.traits["outreach/created_by_webhook"] is True
    assert luke.traits["outreach/stage"] == "Approaching"
    assert "outreach:5" in luke.account.anonymous_ids  # a shell account for Outreach account 5
    assert SyncLog.objects.get(event="incoming.user.success").email == "luke@rebellion.org"


def test_prospect_updated_writes_only_what_changed_and_nulls_the_owner_it_names(world, client, hull, run_jobs):
    deliver(client, world, "prospect-updated.json")
    run_jobs()

    user = hull.find_user(anonymous_id="outreach:3")
    assert user.traits["outreach/address_street"] == "345 Tattooine Way"
    assert "outreach/title" not in user.traits  # not in the payload: left alone
    assert "outreach/owner_email" not in user.traits  # {"id": null}: written as null, which Hull unsets


@pytest.mark.parametrize(
    "name",
    [
        "prospect-updated-touched.json",
        "prospect-updated-touched2.json",
        "prospect-updated-noop.json",
        "prospect-added-to-sequence1-noop.json",
    ],
)
def test_touched_and_empty_updates_of_a_known_prospect_are_skipped_with_a_reason(world, client, hull, run_jobs, name):
    known(world, Entity.USER, 3)
    deliver(client, world, name)
    run_jobs()

    assert hull.writes() == []
    [skip] = SyncLog.objects.filter(event="incoming.user.skip")
    assert skip.outreach_id == 3 and skip.message


def test_a_prospect_linked_to_another_account_is_linked_in_hull(world, client, hull, run_jobs):
    known(world, Entity.USER, 3)
    deliver(client, world, "prospect-linked-account.json")
    run_jobs()

    user = hull.find_user(anonymous_id="outreach:3")
    assert "outreach:6" in user.account.anonymous_ids
    assert [w.kind for w in hull.writes()] == ["traits", "link"]


def test_account_created_writes_the_account_by_domain_with_its_name_if_hull_has_none(world, client, hull, run_jobs):
    deliver(client, world, "account-created.json")
    run_jobs()

    account = hull.find_account(domain="skywalkerindustries.com")
    assert "outreach:6" in account.anonymous_ids
    assert account.traits["name"] == "Skywalker Industries"
    assert SyncLog.objects.get(event="incoming.account.success").domain == "skywalkerindustries.com"


def test_account_updated_writes_the_mapped_attribute(world, client, hull, run_jobs):
    deliver(client, world, "account-updated.json")
    run_jobs()

    account = hull.find_account(anonymous_id="outreach:1")
    assert account.traits["outreach/custom1"] == "it's a hull company, but we don't know too much more"


def test_a_no_op_account_update_of_a_known_account_is_skipped(world, client, hull, run_jobs):
    known(world, Entity.ACCOUNT, 6)
    deliver(client, world, "account-updated-noop.json")
    run_jobs()

    assert hull.writes() == []
    assert SyncLog.objects.get(event="incoming.account.skip").outreach_id == 6


def test_a_sequence_state_webhook_is_kept_and_does_not_fail(world, client, hull, run_jobs):
    deliver(client, world, "prospect-added-to-sequence2.json")
    [job] = run_jobs()

    assert job.status == "succeeded"
    assert not SyncLog.objects.filter(event__endswith=".error").exists()
