"""The sandbox answers like Outreach: shapes from the captured fixtures, errors, pagination, OAuth."""

import json

import pytest

from connectors.outreach import http
from tests.conftest import FIXTURES

API = "https://api.outreach.io/api/v2"


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def call(outreach):
    session = http.session_create()

    def send(method, path, *, token="outreach-access-token-acme", **kwargs):
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return session.request(method, f"{API}{path}", headers=headers, **kwargs)

    return send


def test_a_prospect_has_the_shape_of_outreachs(call, outreach):
    outreach.seed(prospects=1, accounts=1)
    captured = fixture("api-responses/existing-prospect.json")["data"][0]

    mine = call("GET", "/prospects/1").json()["data"]

    assert mine.keys() == captured.keys()
    assert isinstance(mine["id"], int)
    shared = {"createdAt", "updatedAt", "emails", "firstName", "lastName", "name", "title", "homePhones", "tags"}
    assert shared <= captured["attributes"].keys() and shared <= mine["attributes"].keys()
    assert mine["relationships"]["account"]["data"] == {"type": "account", "id": 1}
    assert mine["attributes"]["createdAt"].endswith("Z") and len(mine["attributes"]["createdAt"]) == 24


def test_a_created_webhook_has_the_shape_of_outreachs(call):
    captured = fixture("api-responses/create-webhook.json")["data"]

    created = call("POST", "/webhooks", json={"data": {"type": "webhook", "attributes": {"url": "https://x.test/h"}}})

    mine = created.json()["data"]
    assert created.status_code == 201
    assert mine["attributes"].keys() == captured["attributes"].keys()
    assert mine["relationships"].keys() == captured["relationships"].keys()
    assert (mine["attributes"]["resource"], mine["attributes"]["action"], mine["attributes"]["active"]) == ("*", "*", True)


def test_webhook_deliveries_have_the_shape_of_outreachs(outreach):
    captured = fixture("webhook-payloads/prospect-created.json")
    outreach.webhook_add(url="https://x.test/h", secret="s")
    account = outreach.account_add(name="Rebels", domain="rebels.org")
    owner = outreach.user_add(email="rep@x.com")
    session = http.session_create()

    session.post(
        f"{API}/prospects",
        headers={"Authorization": "Bearer outreach-access-token-acme"},
        data=json.dumps({"data": {"type": "prospect", "attributes": {"firstName": "Luke", "emails": ["l@x.com"]},
                                  "relationships": {"account": {"data": {"type": "account", "id": account["id"]}},
                                                    "owner": {"data": {"type": "user", "id": owner["id"]}}}}}),
    )

    mine = outreach.deliveries[-1].json
    assert mine.keys() == captured.keys() and mine["meta"].keys() == captured["meta"].keys()
    assert mine["meta"]["eventName"] == "prospect.created"
    assert mine["data"]["relationships"]["account"] == {"type": "account", "id": account["id"]}
    assert mine["data"]["relationships"]["owner"] == {"type": "owner", "id": owner["id"]}


def test_an_unknown_token_gets_outreachs_plain_text_401(call):
    captured = fixture("api-responses/unauthorized-response.json")

    response = call("GET", "/prospects", token="nope")

    assert (response.status_code, response.text) == (captured["status"], captured["text"])


def test_writes_without_the_json_api_media_type_get_415(call):
    response = call("POST", "/prospects", data="{}", headers={"Content-Type": "application/json"})

    assert response.status_code == 415
    assert response.json()["errors"][0]["id"] == "unsupportedMediaType"


def test_unnamed_accounts_are_hidden_from_plain_listings(call, outreach):
    outreach.account_add(name="Named", domain="a.com")
    outreach.account_add(name="Hidden", domain="b.com", named=False)

    assert [a["attributes"]["name"] for a in call("GET", "/accounts").json()["data"]] == ["Named"]
    assert [a["attributes"]["name"] for a in call("GET", "/accounts", params={"filter[named]": "false"}).json()["data"]] == ["Hidden"]


def test_default_page_size_is_50_and_offsets_above_10000_are_refused(call, outreach):
    outreach.seed(prospects=60, users=0, stages=0)

    first = call("GET", "/prospects").json()

    assert len(first["data"]) == 50 and "page%5Bafter%5D" in first["links"]["next"]
    assert call("GET", "/prospects", params={"page[size]": 1001}).status_code == 400
    refused = call("GET", "/prospects", params={"page[offset]": 10001, "page[limit]": 10})
    assert refused.status_code == 400 and refused.json()["errors"][0]["id"] == "paginationInvalidOffset"


def test_the_token_endpoint_rotates_refresh_tokens_and_refuses_a_spent_one(outreach):
    session = http.session_create()
    form = {"grant_type": "refresh_token", "refresh_token": "outreach-refresh-token-acme", "client_id": "c"}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    issued = session.post("https://api.outreach.io/oauth/token", data=form, headers=headers)
    again = session.post("https://api.outreach.io/oauth/token", data=form, headers=headers)

    body = issued.json()
    assert body.keys() == fixture("api-responses/refresh-token-response.json").keys()
    assert body["expires_in"] == 7200 and body["refresh_token"] != "outreach-refresh-token-acme"
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_spent_budget_answers_429_rate_limit_exceeded(call, outreach):
    outreach.rate_limit_set(2, 3600)
    call("GET", "/prospects")
    second = call("GET", "/prospects")

    third = call("GET", "/prospects")

    assert second.headers["X-RateLimit-Remaining"] == "0"
    assert third.status_code == 429 and third.json()["errors"][0]["id"] == "rateLimitExceeded"
    assert int(third.headers["X-RateLimit-Reset"]) > outreach.clock.time()


@pytest.mark.urls("tests.connectors.outreach.sandbox_urls")
def test_it_serves_over_http_under_sandbox_outreach(client, monkeypatch):
    from connectors.outreach.sandbox import views
    from connectors.outreach.sandbox.state import OutreachSandbox

    sandbox = OutreachSandbox()
    sandbox.token_issue(access_token="tok")
    sandbox.prospect_add(emails=["a@x.com"])
    monkeypatch.setattr(views, "_sandbox", sandbox)

    response = client.get("/sandbox/outreach/api/v2/prospects?page%5Bsize%5D=1", HTTP_AUTHORIZATION="Bearer tok")

    assert response.status_code == 200 and response["X-RateLimit-Limit"] == "10000"
    assert response.json()["data"][0]["links"]["self"] == "http://testserver/sandbox/outreach/api/v2/prospects/1"
    assert client.get("/sandbox/outreach/api/v2/prospects").status_code == 401


def test_requests_are_recorded_for_assertions(call, outreach):
    call("GET", "/prospects", params={"filter[emails]": "a+b@x.com"})

    recorded = outreach.requests_to("GET", "/prospects")[0]
    assert (recorded.method, recorded.path, recorded.query["filter[emails]"]) == ("GET", "/prospects", "a+b@x.com")


def test_a_share_of_5xx_can_be_injected_per_endpoint(call, outreach):
    outreach.fault_add("/prospects", method="GET", status=503, share=0.5)

    statuses = [call("GET", "/prospects").status_code for _ in range(40)]

    assert 5 < statuses.count(503) < 35 and statuses.count(200) + statuses.count(503) == 40
    assert call("GET", "/accounts").status_code == 200


