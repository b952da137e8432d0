"""OutreachClient against the sandbox: pagination, lookups, writes, errors and retries."""

import pytest

from connectors.outreach.client import OutreachClient
from connectors.outreach.errors import (
    OutreachAmbiguousWrite,
    OutreachBadRequest,
    OutreachNotFound,
    OutreachTransient,
    OutreachValidationError,
)


@pytest.fixture
def client(connector, outreach):
    return OutreachClient(connector)


def test_it_lists_12345_prospects_in_13_requests_and_yields_each_once(client, outreach):
    outreach.seed(prospects=12_345, accounts=0, users=0, stages=0)

    ids = [record["id"] for page in client.iter_pages("prospect", page_size=1000) for record in page.records]

    assert len(outreach.requests_to("GET", "/prospects")) == 13
    assert client.request_count == 13
    assert len(ids) == 12_345 == len(set(ids))


def test_it_resumes_a_listing_from_the_next_url_of_a_checkpointed_page(client, outreach):
    outreach.seed(prospects=25, users=0, stages=0)
    first = next(client.iter_pages("prospect", page_size=10))

    resumed = OutreachClient(client.connector)
    rest = [r["id"] for page in resumed.iter_pages("prospect", start_url=first.next_url) for r in page.records]

    assert [r["id"] for r in first.records] + rest == list(range(1, 26))
    assert outreach.requests_to("GET", "/prospects")[1].query["page[size]"] == "10"


def test_it_never_sends_the_token_to_another_host_named_in_links_next(client):
    rebased = client._rebase("https://api.outreach.io/api/v2/prospects", "https://evil.example/prospects?page%5Bafter%5D=x")

    assert rebased == "https://api.outreach.io/api/v2/prospects?page%5Bafter%5D=x"


def test_changed_since_yields_boundary_records_once(client, outreach, outreach_clock):
    outreach.seed(prospects=5, users=0, stages=0, step_seconds=0)  # all updated at the same instant
    first_run = [page for page in client.iter_changed_since("prospect", since="2000-01-01T00:00:00.000Z")]
    high_water, ids = first_run[-1].high_water, first_run[-1].high_water_ids
    assert sorted(r["id"] for p in first_run for r in p.records) == [1, 2, 3, 4, 5]

    outreach_clock.advance(5)
    outreach.change("prospect", 2, {"title": "CFO"})
    second_run = [r for page in client.iter_changed_since("prospect", since=high_water, exclude_ids=ids) for r in page.records]

    sent = outreach.requests_to("GET", "/prospects")[-1].query
    assert sent["filter[updatedAt]"] == f"{high_water}..inf" and sent["sort"] == "updatedAt"
    assert [r["id"] for r in second_run] == [2]


def test_it_finds_by_an_email_with_a_plus_sign(client, outreach):
    outreach.prospect_add(emails=["other@x.com", "a+b@x.com"], firstName="Plus")
    outreach.prospect_add(emails=["ab@x.com"], firstName="NoPlus")

    found = client.find("prospect", "emails", "a+b@x.com")

    assert [p["attributes"]["firstName"] for p in found] == ["Plus"]
    assert outreach.requests_to("GET", "/prospects")[0].query["filter[emails]"] == "a+b@x.com"


def test_it_finds_accounts_sharing_a_domain(client, outreach):
    outreach.account_add(name="Wayne", domain="wayne.com")
    outreach.account_add(name="Wayne Enterprises", domain="wayne.com")

    assert len(client.find("account", "domain", "wayne.com")) == 2


def test_it_creates_and_updates_a_prospect_as_json_api(client, outreach):
    account = outreach.account_add(name="Bluth", domain="bluth.com")
    created = client.create(
        "prospect",
        attributes={"emails": ["gob@bluth.com"], "firstName": "Gob"},
        relationships={"account": {"data": {"type": "account", "id": account["id"]}}},
    )
    updated = client.update("prospect", created["id"], attributes={"title": "Magician"})

    assert created["type"] == "prospect" and isinstance(created["id"], int)
    assert created["attributes"]["externalSource"] == "outreach-api"
    assert updated["attributes"]["title"] == "Magician" and updated["attributes"]["firstName"] == "Gob"
    patch = outreach.requests_to("PATCH", f"/prospects/{created['id']}")[0]
    assert patch.json == {"data": {"type": "prospect", "id": created["id"], "attributes": {"title": "Magician"}}}
    assert patch.headers["content-type"] == "application/vnd.api+json"


def test_a_missing_prospect_is_not_found_with_outreachs_details(client):
    with pytest.raises(OutreachNotFound) as caught:
        client.get("prospect", 999)

    assert str(caught.value) == (
        "Outreach Error Details: [resourceNotFound] Resource Not Found: Could not find 'prospect' with ID '999'."
    )


def test_a_duplicate_email_is_a_validation_error(client, outreach):
    outreach.prospect_add(emails=["dup@x.com"])

    with pytest.raises(OutreachValidationError) as caught:
        client.create("prospect", attributes={"emails": ["DUP@x.com"]})

    assert caught.value.status == 422 and caught.value.pointer == "/data"
    assert str(caught.value) == (
        "Outreach Error Details: [validationError] Validation Error: Contacts email hash has already been taken."
    )


def test_an_owner_that_does_not_exist_is_a_bad_request(client):
    with pytest.raises(OutreachBadRequest) as caught:
        client.create(
            "prospect",
            attributes={"emails": ["new@x.com"]},
            relationships={"owner": {"data": {"type": "user", "id": 4242}}},
        )

    assert caught.value.error_id == "permittedParams.relationshipResourceNotFound"
    assert "Could not find 'user' with ID '4242'." in str(caught.value)


def test_5xx_on_a_read_is_retried_with_backoff_and_then_surfaces_as_transient(client, outreach, outreach_clock):
    outreach.fault_add("/prospects/1", method="GET", status=503)
    outreach.prospect_add(emails=["a@x.com"])

    with pytest.raises(OutreachTransient) as caught:
        client.get("prospect", 1)

    assert len(outreach.requests_to("GET", "/prospects/1")) == 4  # first try + 3 retries
    assert caught.value.status == 503 and "after 4 attempts" in str(caught.value)
    backoffs = [s for s in outreach_clock.slept if s > 0]
    assert len(backoffs) == 3 and backoffs[0] < backoffs[2]


def test_a_read_succeeds_when_the_5xx_passes(client, outreach):
    outreach.prospect_add(emails=["a@x.com"])
    outreach.fault_add("/prospects/1", method="GET", status=502, times=2)

    assert client.get("prospect", 1)["id"] == 1
    assert len(outreach.requests_to("GET", "/prospects/1")) == 3


def test_a_create_that_timed_out_after_reaching_outreach_is_ambiguous_and_not_resent(client, outreach):
    outreach.fault_add("/prospects", method="POST", timeout=True, after_write=True, times=1)

    with pytest.raises(OutreachAmbiguousWrite):
        client.create("prospect", attributes={"emails": ["maybe@x.com"]})

    assert len(outreach.requests_to("POST", "/prospects")) == 1
    assert [p["attributes"]["emails"] for p in outreach.all("prospect")] == [["maybe@x.com"]]


def test_a_create_answered_with_a_5xx_is_ambiguous_and_not_resent(client, outreach):
    outreach.fault_add("/prospects", method="POST", status=500, times=1)

    with pytest.raises(OutreachAmbiguousWrite):
        client.create("prospect", attributes={"emails": ["maybe@x.com"]})

    assert len(outreach.requests_to("POST", "/prospects")) == 1


def test_users_and_stages_are_cached_and_refreshed_on_a_miss_at_most_once_a_minute(client, outreach, outreach_clock):
    rep = outreach.user_add(email="Rep@Acme.com")
    stage = outreach.stage_add(name="Qualified")

    assert client.user_id_for_email("rep@acme.com") == rep["id"]
    assert client.user_email_for_id(rep["id"]) == "Rep@Acme.com"
    assert client.stage_id_for_name("qualified") == stage["id"]
    new_rep = outreach.user_add(email="new@acme.com")
    assert client.user_id_for_email("new@acme.com") is None  # fetched a moment ago: no new request
    outreach_clock.advance(60)
    assert client.user_id_for_email("new@acme.com") == new_rep["id"]  # forced refresh on the miss
    assert client.user_id_for_email("nobody@acme.com") is None
    assert len(outreach.requests_to("GET", "/users")) == 2
    assert len(outreach.requests_to("GET", "/stages")) == 1


def test_it_lists_creates_and_deletes_webhooks(client, outreach):
    hook = client.webhook_create(url="https://hullreach.test/webhooks/outreach/x", secret="s3cret")
    assert [h["id"] for h in client.webhooks_list()] == [hook["id"]]

    client.webhook_delete(hook["id"])

    assert client.webhooks_list() == []
    assert outreach.requests_to("POST", "/webhooks")[0].json["data"]["attributes"]["secret"] == "s3cret"
