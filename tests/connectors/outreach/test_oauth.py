"""Tokens: refresh once for parallel 401s, rotation, re-authorization, and the OAuth views."""

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from connectors.outreach.client import OutreachClient
from connectors.outreach.errors import OutreachUnauthorized
from sync.choices import AuthStatus, JobKind, JobStatus
from sync.models import Connector, SyncJob, SyncLog


@pytest.mark.django_db(transaction=True)
def test_it_refreshes_the_token_once_for_two_parallel_401s(connector, outreach):
    outreach.prospect_add(emails=["a@x.com"])
    outreach.token_expire_now()
    both_refused = threading.Barrier(2, timeout=5)
    handle = outreach.handle

    def handle_and_meet_at_401(method, url, headers, body):
        status, out_headers, data = handle(method, url, headers, body)
        if status == 401:
            both_refused.wait()  # both workers hold a refused token before either refreshes
        return status, out_headers, data

    outreach.handle = handle_and_meet_at_401
    results, errors = [], []

    def worker():
        try:
            results.append(OutreachClient(Connector.objects.get(pk=connector.pk)).get("prospect", 1)["id"])
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [] and results == [1, 1]
    assert outreach.token_requests == 1
    stored = Connector.objects.get(pk=connector.pk)
    assert stored.outreach_refresh_token != "outreach-refresh-token-acme"
    assert stored.outreach_refresh_token in outreach.refresh_tokens  # the rotated one is kept
    assert stored.outreach_access_token in outreach.access_tokens


def test_it_refreshes_ahead_of_expiry_and_saves_the_rotated_refresh_token(connector, outreach):
    from datetime import timedelta

    from django.utils import timezone

    outreach.prospect_add(emails=["a@x.com"])
    Connector.objects.filter(pk=connector.pk).update(outreach_token_expires_at=timezone.now() + timedelta(minutes=1))
    connector.refresh_from_db()

    OutreachClient(connector).get("prospect", 1)

    stored = Connector.objects.get(pk=connector.pk)
    assert outreach.token_requests == 1
    assert outreach.requests_to("POST", "/oauth/token")[0].json["grant_type"] == "refresh_token"
    assert stored.outreach_refresh_token in outreach.refresh_tokens
    assert "outreach-refresh-token-acme" not in outreach.refresh_tokens
    assert stored.outreach_token_expires_at > timezone.now() + timedelta(hours=1)


def test_invalid_grant_marks_the_connector_for_reauthorization_without_looping(connector, outreach):
    outreach.token_expire_now()
    outreach.refresh_token_revoke()
    client = OutreachClient(connector)

    with pytest.raises(OutreachUnauthorized):
        client.get("prospect", 1)
    with pytest.raises(OutreachUnauthorized):
        client.get("prospect", 1)  # the next call does not spend another refresh

    connector.refresh_from_db()
    assert connector.outreach_auth_status == AuthStatus.NEEDS_REAUTH
    assert "connect Outreach again" in connector.outreach_auth_error
    assert outreach.token_requests == 1 and client.request_count == 1
    assert SyncLog.objects.filter(connector=connector, event="connector.oauth.error").exists()


def test_a_second_401_after_a_refresh_marks_the_connector_for_reauthorization(connector, outreach):
    outreach.fault_add("/prospects", method="GET", status=401)

    with pytest.raises(OutreachUnauthorized):
        OutreachClient(connector).get("prospect", 1)

    connector.refresh_from_db()
    assert connector.outreach_auth_status == AuthStatus.NEEDS_REAUTH
    assert len(outreach.requests_to("GET", "/prospects/1")) == 2 and outreach.token_requests == 1


def test_staff_connect_outreach_and_come_back_to_a_connected_connector(staff_client, connector, outreach, settings):
    SyncJob.objects.create(connector=connector, kind=JobKind.FETCH_RECENT, status=JobStatus.WAITING)
    Connector.objects.filter(pk=connector.pk).update(outreach_auth_status=AuthStatus.NEEDS_REAUTH)

    start = staff_client.get(f"/outreach/connect/{connector.pk}")
    authorize = urlsplit(start["Location"])
    query = parse_qs(authorize.query)
    assert start["Location"].startswith(settings.OUTREACH_OAUTH_URL + "/authorize?")
    assert query["client_id"] == ["hullreach-test-client"]
    assert query["redirect_uri"] == [settings.OUTREACH_REDIRECT_URL]
    assert "prospects.all" in query["scope"][0].split(" ") and "webhooks.all" in query["scope"][0].split(" ")
    consent = OutreachClient(connector).session.get(start["Location"], allow_redirects=False)  # the sandbox consents
    callback = urlsplit(consent.headers["Location"])

    done = staff_client.get(f"{callback.path}?{callback.query}", follow=True)

    connector.refresh_from_db()
    assert connector.outreach_auth_status == AuthStatus.OK
    assert connector.outreach_access_token in outreach.access_tokens
    assert f"Outreach is connected for {connector.name}." in [str(m) for m in done.context["messages"]]
    assert SyncJob.objects.get(connector=connector).status == JobStatus.QUEUED  # waiting jobs resume
    hooks = outreach.all("webhook")
    assert [h["attributes"]["url"] for h in hooks] == [f"{settings.PUBLIC_URL}/webhooks/outreach/{connector.webhook_token}"]
    assert connector.outreach_webhook_id == str(hooks[0]["id"])


def test_a_callback_with_a_forged_state_changes_nothing(staff_client, connector, outreach):
    response = staff_client.get("/outreach/oauth/callback?code=abc&state=forged", follow=True)

    assert "not issued for this session" in str(list(response.context["messages"])[0])
    assert outreach.token_requests == 0


def test_a_state_from_another_session_is_refused(client, staff_client, alice, connector, outreach):
    start = staff_client.get(f"/outreach/connect/{connector.pk}")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    from django.test import Client

    other = Client()
    other.force_login(alice)
    response = other.get(f"/outreach/oauth/callback?code={outreach.code_issue()}&state={state}", follow=True)

    assert "not issued for this session" in str(list(response.context["messages"])[0])
    assert outreach.token_requests == 0


def test_only_staff_may_connect_outreach(client, charlie, connector):
    client.force_login(charlie)

    response = client.get(f"/outreach/connect/{connector.pk}")

    assert response.status_code == 302 and "/outreach.io" not in response["Location"]


def test_the_connector_page_offers_to_reauthorize_outreach(staff_client, connector):
    page = staff_client.get(f"/admin/sync/connector/{connector.pk}/change/")

    assert f'href="/outreach/connect/{connector.pk}"' in page.content.decode()
    assert "Re-authorize Outreach" in page.content.decode()
