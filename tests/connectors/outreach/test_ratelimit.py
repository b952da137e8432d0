"""The shared rate budget, on a fake clock."""

import pytest

from connectors.outreach.client import OutreachClient
from connectors.outreach.ratelimit import RateBudget, rate_headers_parse


def test_remaining_counts_by_its_first_value():
    parsed = rate_headers_parse({"X-RateLimit-Limit": "10000", "X-RateLimit-Remaining": "9999, 19988", "X-RateLimit-Reset": "1800000000"})

    assert (parsed.limit, parsed.remaining, parsed.reset_at) == (10000, 9999, 1800000000)


def test_60_calls_on_a_budget_of_20_per_10_seconds_receive_no_429_and_spread_over_the_windows(connector, outreach, outreach_clock):
    outreach.rate_limit_set(20, 10)
    outreach.prospect_add(emails=["a@x.com"])
    client = OutreachClient(connector, budget=RateBudget("acme", limit=20, window_seconds=10, clock=outreach_clock))
    outreach_clock.advance(10 - outreach_clock.time() % 10)  # start on a window boundary: windows are aligned
    start = outreach_clock.time()

    sent_at = []
    for _ in range(60):
        client.get("prospect", 1)
        sent_at.append(outreach_clock.time())

    assert [r.status for r in outreach.requests] == [200] * 60
    windows = {}
    for moment in sent_at:
        windows[int(moment // 10)] = windows.get(int(moment // 10), 0) + 1
    assert max(windows.values()) <= 20 and len(windows) >= 3
    assert sent_at[-1] - start >= 20  # three windows' worth of budget took at least two window lengths


def test_two_clients_share_one_budget(connector, outreach, outreach_clock):
    outreach.rate_limit_set(10, 10)
    outreach.prospect_add(emails=["a@x.com"])
    clients = [
        OutreachClient(connector, budget=RateBudget("acme", limit=10, window_seconds=10, clock=outreach_clock))
        for _ in range(2)
    ]

    for i in range(30):
        clients[i % 2].get("prospect", 1)

    assert all(r.status == 200 for r in outreach.requests)


def test_a_429_is_waited_out_and_the_same_request_repeated(connector, outreach, outreach_clock):
    outreach.rate_limit_set(100, 60)
    outreach.rate_spend(100)  # another integration spent this user's budget
    outreach.prospect_add(emails=["a@x.com"])
    start = outreach_clock.time()

    record = OutreachClient(connector).update("prospect", 1, attributes={"title": "CEO"})

    assert record["attributes"]["title"] == "CEO"
    assert [r.status for r in outreach.requests_to("PATCH", "/prospects/1")] == [429, 200]
    assert outreach_clock.time() >= (start // 60 + 1) * 60  # waited until the reset
    assert outreach.requests_to("PATCH", "/prospects/1")[1].json == outreach.requests_to("PATCH", "/prospects/1")[0].json


def test_a_remaining_of_zero_blocks_every_worker_until_the_reset(outreach_clock):
    budget = RateBudget("shared", limit=100, window_seconds=3600, clock=outreach_clock)
    reset = outreach_clock.time() + 120
    budget.observe({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0, 5", "X-RateLimit-Reset": str(int(reset))})

    RateBudget("shared", limit=100, window_seconds=3600, clock=outreach_clock).acquire()

    assert outreach_clock.time() >= int(reset)


@pytest.mark.parametrize("limit", [10000])
def test_a_fresh_window_lets_the_first_tenth_go_at_once(outreach_clock, limit):
    budget = RateBudget("burst", limit=limit, window_seconds=3600, clock=outreach_clock)
    outreach_clock.advance(-(outreach_clock.time() % 3600))  # the start of a window
    start = outreach_clock.time()

    for _ in range(limit // 10):
        budget.acquire()

    assert outreach_clock.time() == start
    budget.acquire()
    assert outreach_clock.time() > start


def test_a_job_client_gives_its_worker_back_instead_of_sleeping_until_the_reset(connector, outreach, outreach_clock):
    from connectors.outreach.errors import OutreachRateLimited
    from sync.outreach_calls import outreach_client_for

    outreach.seed(prospects=3)
    client = outreach_client_for(connector)
    before = outreach_clock.time()
    client.budget.block_until(before + 1800)

    with pytest.raises(OutreachRateLimited) as error:
        client.prospect_get(1)

    assert error.value.reset_at.timestamp() == pytest.approx(before + 1800)
    assert outreach_clock.time() - before < 120  # no half-hour sleep, even on the fake clock
    assert outreach.requests_to("GET", "/prospects/1") == []


def test_two_connectors_authorized_by_the_same_outreach_user_share_one_budget(connector):
    import base64
    import json

    from connectors.outreach.ratelimit import rate_budget_for
    from sync.models import Connector

    def token(user_id):
        payload = base64.urlsafe_b64encode(json.dumps({"bento": "app2a", "org_user_id": user_id}).encode()).decode()
        return f"eyJhbGciOiJIUzI1NiJ9.{payload.rstrip('=')}.signature"

    connector.outreach_access_token = token(1)
    other = Connector(pk=connector.pk + 1, name="other", outreach_access_token=token(1))
    stranger = Connector(pk=connector.pk + 2, name="stranger", outreach_access_token=token(2))
    opaque = Connector(pk=connector.pk + 3, name="opaque", outreach_access_token="not-a-jwt")

    assert rate_budget_for(connector).key == rate_budget_for(other).key == "outreach:budget:outreach-user:app2a:1"
    assert rate_budget_for(stranger).key == "outreach:budget:outreach-user:app2a:2"
    assert rate_budget_for(opaque).key == f"outreach:budget:connector:{opaque.pk}"
