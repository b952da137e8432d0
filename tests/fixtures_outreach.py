"""Outreach sandbox fixtures (shared by every test through conftest).

`outreach`: a fresh in-memory Outreach org (connectors.outreach.sandbox.state.OutreachSandbox)
wired to the standard `connector` fixture: its access and refresh tokens are valid there, and every
session made by connectors.outreach.http (so every OutreachClient and token call) is routed to it
in-process. Time runs on `outreach_clock` (a FakeClock): retries, backoff and rate pacing cost no
real time.

    def test_something(connector, outreach):
        outreach.seed(prospects=10, accounts=3)              # realistic linked records
        p = outreach.prospect_add(emails=["a@x.com"], firstName="A", relationships={"account": 1})
        outreach.change("prospect", p["id"], {"title": "CTO"})  # a UI edit (delivers webhooks)
        ... run the code under test ...
        outreach.requests_to("PATCH", "/prospects/1")         # recorded: .method .path .query .json
        outreach.fault_add("/prospects", method="GET", status=503, times=2)  # or share=0.3
        outreach.fault_add("/prospects", method="POST", timeout=True, after_write=True)  # ambiguous create
        outreach.latency_seconds = 0.5; outreach.token_expire_now(); outreach.rate_limit_set(20, 10)
        outreach.refresh_token_revoke()                       # next refresh gets invalid_grant
        outreach.deliver = deliver_to_django_client(client)   # webhooks POSTed to our own views
        outreach.deliveries                                   # every signed delivery made
"""

from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from connectors.outreach import http
from connectors.outreach.clock import FakeClock, clock_set_default
from connectors.outreach.sandbox.state import OutreachSandbox
from connectors.outreach.sandbox.transport import SandboxAdapter

OUTREACH_CLIENT_ID = "hullreach-test-client"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def deliver_to_django_client(client):
    """A sandbox `deliver` callable that POSTs each webhook to our own views via Django's test client."""

    def deliver(url, headers, body):
        parts = urlsplit(url)
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k.lower() != "content-type"}
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return client.generic("POST", path, body, content_type=headers.get("Content-Type"), **extra).status_code

    return deliver


@pytest.fixture
def outreach_clock():
    cache.clear()  # rate budgets from earlier tests (or runs, on Redis) share their keys
    clock = FakeClock(start=1_800_000_000.0)
    clock_set_default(clock)
    yield clock
    clock_set_default(None)


@pytest.fixture
def outreach(connector, settings, outreach_clock):
    import time

    outreach_clock.advance(time.time() - outreach_clock.time())  # start at real time: token expiries agree
    settings.OUTREACH_CLIENT_ID = OUTREACH_CLIENT_ID
    settings.OUTREACH_CLIENT_SECRET = "hullreach-test-secret"
    cache.clear()  # rate budgets and cached user/stage maps from earlier tests
    sandbox = OutreachSandbox(clock=outreach_clock)
    sandbox.token_issue(
        access_token=connector.outreach_access_token, refresh_token=connector.outreach_refresh_token
    )
    adapter = SandboxAdapter(sandbox)
    prefixes = {_origin(settings.OUTREACH_API_URL), _origin(settings.OUTREACH_OAUTH_URL)}
    for prefix in prefixes:
        http.transport_install(prefix, adapter)
    yield sandbox
    for prefix in prefixes:
        http.transport_remove(prefix)
