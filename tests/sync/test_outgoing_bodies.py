"""What the outgoing sync sends: owners, stages, segment fields, arrays, account links, account messages."""

import pytest

from sync.choices import Entity, JobStatus, MessageStatus
from sync.models import HullMessage, IdLink

from tests.sync.outgoing_world import lines, map_out, writes_of

pytestmark = pytest.mark.django_db


def test_owner_email_becomes_the_owner_relationship_with_the_id_as_text(connector, outreach, hull, leads, run_jobs):
    rep = outreach.user_add(email="Rep@Acme.com", name="Rep")
    map_out(connector, "sales_rep", "ownerEmail")
    hull.user(email="leia@rebellion.org", traits={"title": "General", "sales_rep": "rep@acme.com"}, segments=[leads],
              notify=True)
    hull.notify()

    run_jobs()

    [create] = writes_of(outreach, "POST")
    assert create.json["data"]["relationships"] == {"owner": {"data": {"type": "user", "id": str(rep["id"])}}}
    assert outreach.all("prospect")[0]["relationships"]["owner"] == rep["id"]


def test_an_owner_missing_from_the_cached_users_map_is_found_by_one_forced_refresh(
    connector, outreach, hull, leads, run_jobs
):
    from connectors.outreach.client import OutreachClient

    map_out(connector, "sales_rep", "ownerEmail")
    OutreachClient(connector).user_id_for_email("someone@acme.com")  # an earlier job cached the users map
    rep = outreach.user_add(email="new.rep@acme.com", name="New Rep")  # hired since
    hull.user(email="leia@rebellion.org", traits={"title": "General", "sales_rep": "new.rep@acme.com"},
              segments=[leads], notify=True)
    outreach.requests.clear()
    hull.notify()

    run_jobs()

    assert len(outreach.requests_to("GET", "/users")) == 1  # the cache missed once: one refresh
    [create] = writes_of(outreach, "POST")
    assert create.json["data"]["relationships"] == {"owner": {"data": {"type": "user", "id": str(rep["id"])}}}


def test_an_unknown_owner_email_is_left_out_with_a_warning_naming_it(connector, outreach, hull, leads, run_jobs):
    map_out(connector, "sales_rep", "ownerEmail")
    hull.user(email="leia@rebellion.org", traits={"title": "General", "sales_rep": "ghost@acme.com"}, segments=[leads],
              notify=True)
    hull.notify()

    [job] = run_jobs()

    assert job.succeeded == 1
    [create] = writes_of(outreach, "POST")
    assert "relationships" not in create.json["data"]
    [success] = lines("outgoing.user.success")
    assert success.level == "warning"
    assert "No Outreach user has the email 'ghost@acme.com'" in success.message
    assert success.payload["warnings"] and success.payload["data"] == create.json


def test_a_stage_that_does_not_exist_fails_that_message_with_outreachs_details_and_the_others_continue(
    connector, outreach, hull, leads, run_jobs
):
    map_out(connector, "stage_id", "stage")
    hull.user(email="bad@rebellion.org", traits={"title": "A", "stage_id": 999}, segments=[leads], notify=True)
    hull.user(email="good@rebellion.org", traits={"title": "B"}, segments=[leads], notify=True)
    hull.notify()

    [job] = run_jobs()

    assert (job.succeeded, job.failed, job.status) == (1, 1, JobStatus.SUCCEEDED)
    [error] = lines("outgoing.user.error")
    assert error.email == "bad@rebellion.org"
    assert error.message.startswith("Outreach has rejected the objects being sent, please review the object for any old")
    assert "[permittedParams.relationshipResourceNotFound] Relationship Resource Not Found: Could not find 'stage'" in error.message
    assert error.payload["data"]["data"]["relationships"] == {"stage": {"data": {"type": "stage", "id": 999}}}
    assert hull.find_user(email="bad@rebellion.org").traits.get("outreach/id") is None
    assert "outreach/id" in hull.user_traits(email="good@rebellion.org")
    failed = HullMessage.objects.get(status=MessageStatus.FAILED)
    assert "relationshipResourceNotFound" in failed.error


def test_segment_names_go_to_tags_as_an_array_and_a_hull_array_is_not_wrapped_again(
    connector, outreach, hull, leads, run_jobs
):
    connector.prospect_outgoing_user_segments = "tags"
    connector.save()
    map_out(connector, "phones", "workPhones")
    hull.user(email="leia@rebellion.org", traits={"title": "General", "phones": ["+1", "+2"]}, segments=[leads],
              notify=True)
    hull.notify()

    run_jobs()

    [create] = writes_of(outreach, "POST")
    attributes = create.json["data"]["attributes"]
    assert attributes["workPhones"] == ["+1", "+2"]
    assert attributes["tags"] == ["Leads"]


def test_account_segment_names_go_to_a_text_field_as_a_json_string(connector, outreach, hull, leads, run_jobs):
    vip = hull.segment("VIP", entity="account")
    connector.prospect_outgoing_account_segments = "custom10"
    connector.save()
    rebels = hull.account(domain="rebellion.org", traits={"name": "Rebellion"}, segments=[vip])
    hull.user(email="leia@rebellion.org", traits={"title": "General"}, segments=[leads], account=rebels, notify=True)
    hull.notify()

    run_jobs()

    [create] = writes_of(outreach, "POST")
    assert create.json["data"]["attributes"]["custom10"] == '["VIP"]'


@pytest.fixture
def linking(connector, hull):
    vip = hull.segment("VIP", entity="account")
    connector.link_users_in_service = True
    connector.synchronized_account_segments = [vip.hull_id]
    connector.save()
    return vip


def test_a_users_account_in_a_synchronized_segment_is_created_then_linked(
    connector, outreach, hull, leads, linking, run_jobs
):
    rebels = hull.account(domain="Rebellion.org", traits={"name": "Rebellion"}, segments=[linking])
    hull.user(email="leia@rebellion.org", traits={"title": "General"}, segments=[leads], account=rebels, notify=True)
    hull.notify()

    run_jobs()

    assert [(r.method, r.path) for r in writes_of(outreach)] == [
        ("GET", "/accounts"), ("POST", "/accounts"), ("GET", "/prospects"), ("POST", "/prospects"),
    ]
    account_lookup, account_create, _, prospect_create = writes_of(outreach)
    assert account_lookup.query["filter[domain]"] == "rebellion.org"
    assert account_create.json == {"data": {"type": "account", "attributes": {"domain": "rebellion.org", "name": "Rebellion"}}}
    [account] = outreach.all("account")
    assert prospect_create.json["data"]["relationships"] == {"account": {"data": {"type": "account", "id": account["id"]}}}
    assert hull.account_traits(domain="rebellion.org")["outreach/id"] == account["id"]
    [account_success] = lines("outgoing.account.success")
    assert account_success.payload == {"data": account_create.json, "type": "Account"}
    assert IdLink.objects.get(entity=Entity.ACCOUNT).hull_id == rebels.hull_id


def test_an_account_that_cannot_be_created_is_logged_and_the_prospect_is_written_without_it(
    connector, outreach, hull, leads, linking, run_jobs
):
    nameless = hull.account(domain="rebellion.org", segments=[linking])  # Outreach needs a name
    hull.user(email="leia@rebellion.org", traits={"title": "General"}, segments=[leads], account=nameless, notify=True)
    hull.notify()

    [job] = run_jobs()

    assert job.succeeded == 1
    [error] = lines("outgoing.account.error")
    assert "Name can't be blank" in error.message and error.domain == "rebellion.org"
    [create] = writes_of(outreach, "POST")[1:]
    assert create.path == "/prospects" and "relationships" not in create.json["data"]
    [success] = lines("outgoing.user.success")
    assert "the account could not be created in Outreach" in success.message


def test_a_known_account_id_is_linked_without_lookup(connector, outreach, hull, leads, linking, run_jobs):
    known = outreach.account_add(name="Rebellion", domain="rebellion.org")
    rebels = hull.account(domain="rebellion.org", traits={"name": "Rebellion", "outreach/id": known["id"]})
    hull.user(email="leia@rebellion.org", traits={"title": "General"}, segments=[leads], account=rebels, notify=True)
    hull.notify()

    run_jobs()

    assert [(r.method, r.path) for r in writes_of(outreach)] == [("GET", "/prospects"), ("POST", "/prospects")]
    assert writes_of(outreach, "POST")[0].json["data"]["relationships"]["account"]["data"]["id"] == known["id"]


def test_an_account_update_in_a_synchronized_segment_is_created_then_patched_once_per_change(
    connector, outreach, hull, linking, run_jobs
):
    map_out(connector, "industry", "industry", entity=Entity.ACCOUNT)
    rebels = hull.account(domain="rebellion.org", traits={"name": "Rebellion", "industry": "Defense"},
                          segments=[linking], notify=True)
    hull.notify()
    run_jobs()
    [lookup, create] = writes_of(outreach)
    assert create.json == {"data": {"type": "account", "attributes": {
        "domain": "rebellion.org", "name": "Rebellion", "industry": "Defense"}}}
    account_id = outreach.all("account")[0]["id"]
    hull.notify()
    run_jobs()
    outreach.requests.clear()

    hull.edit_account(rebels, traits={"industry": "Aerospace"})
    hull.notify()
    run_jobs()

    [patch] = writes_of(outreach)
    assert patch.json == {"data": {"type": "account", "id": account_id, "attributes": {
        "domain": "rebellion.org", "name": "Rebellion", "industry": "Aerospace"}}}
    assert lines("outgoing.account.success")[-1].payload == {"data": patch.json, "type": "Account"}


def test_an_account_outside_the_synchronized_account_segments_is_skipped_with_the_reason(
    connector, outreach, hull, linking, run_jobs
):
    hull.account(domain="empire.gov", traits={"name": "Galactic Empire"}, notify=True)
    hull.notify()
    run_jobs()

    assert writes_of(outreach) == []
    [skip] = lines("outgoing.account.skip")
    assert skip.domain == "empire.gov"
    assert "not present in any of the defined segments" in skip.message


def test_an_account_outreach_refuses_is_an_error_with_outreachs_details_and_nothing_written_back(
    connector, outreach, hull, linking, run_jobs
):
    outreach.fault_add("/accounts", method="POST", status=422)
    hull.account(domain="rebellion.org", traits={"name": "Rebellion"}, segments=[linking], notify=True)
    hull.notify()
    run_jobs()

    [error] = lines("outgoing.account.error")
    assert error.domain == "rebellion.org"
    assert "Outreach Error Details" in error.message
    assert HullMessage.objects.get(entity=Entity.ACCOUNT).status == MessageStatus.FAILED
    assert not IdLink.objects.filter(entity=Entity.ACCOUNT).exists()
    assert "outreach/id" not in hull.account_traits(domain="rebellion.org")
