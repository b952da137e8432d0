import pytest
from django.contrib import admin
from django.db import connection
from django.urls import reverse

from sync.choices import JobKind, JobStatus
from sync.logs import sync_log
from sync.models import Connector, SyncJob

from tests.conftest import HULL_SECRET

pytestmark = pytest.mark.django_db

SYNC_MODELS = [model for model in admin.site._registry if model._meta.app_label == "sync"]


def changelist_urls():
    return [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry]


@pytest.fixture
def world(connector):
    job = SyncJob.objects.create(connector=connector, kind=JobKind.FETCH_ALL, status=JobStatus.FAILED, error="boom")
    sync_log(connector=connector, job=job, event="incoming.user.error", email="ada@example.com", message="bad")
    return connector, job


def test_every_admin_list_answers_200_to_staff(staff_client, world):
    for url in changelist_urls():
        assert staff_client.get(url).status_code == 200, url


def test_every_sync_object_page_answers_200_to_staff(staff_client, world):
    for model in SYNC_MODELS:
        obj = model.objects.first()
        if obj is None:
            continue
        url = reverse(f"admin:sync_{model._meta.model_name}_change", args=[obj.pk])
        assert staff_client.get(url).status_code == 200, url


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for url in changelist_urls() + [reverse("admin:index")]:
        response = client.get(url, follow=True)
        assert response.redirect_chain, url
        assert response.request["PATH_INFO"] == reverse("account_login"), url
        assert b"acme" not in response.content


def test_signed_in_non_staff_are_refused(client, charlie, world):
    client.force_login(charlie)
    assert client.get(reverse("admin:index")).status_code in (302, 403)
    assert client.get(reverse("admin:sync_connector_changelist")).status_code in (302, 403)
    assert b"acme" not in client.get(reverse("admin:sync_connector_changelist")).content


def test_staff_sign_in_with_email_and_password(client, alice):
    response = client.post(reverse("account_login"), {"login": "alice@hullreach.test", "password": "alice-password"})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_sign_in_page_offers_no_public_sign_up(client):
    assert client.get(reverse("account_signup")).status_code in (200, 302)
    assert b"Sign Up Closed" in client.get(reverse("account_signup"), follow=True).content


def test_secrets_are_not_stored_in_clear(connector):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT hull_secret, outreach_access_token, outreach_refresh_token FROM sync_connector WHERE id = %s",
            [connector.pk],
        )
        stored = cursor.fetchone()
    assert HULL_SECRET not in stored[0]
    assert "outreach-access-token-acme" not in stored[1]
    assert all(value.startswith("fernet:") for value in stored)
    assert Connector.objects.get(pk=connector.pk).hull_secret == HULL_SECRET


def test_secrets_are_not_in_the_admin_html(staff_client, connector):
    html = staff_client.get(reverse("admin:sync_connector_change", args=[connector.pk])).content.decode()
    for secret in (HULL_SECRET, "outreach-access-token-acme", "outreach-refresh-token-acme"):
        assert secret not in html
    assert "Connect with Outreach" in html
    assert "Users to Outreach" in html


def test_staff_can_create_a_connector_with_its_secret(staff_client):
    data = {
        "name": "initech",
        "hull_id": "5c0fd68a1b0d2b1f0e0000bb",
        "hull_organization": "initech.hullapp.io",
        "new_hull_secret": "initech-secret",
        "fetch_interval_minutes": 5,
        "user_claims": '[{"hull": "email", "service": "emails"}]',
        "account_claims": '[{"hull": "domain", "service": "domain"}]',
        "synchronized_user_segments": "[]",
        "synchronized_account_segments": "[]",
        "events_to_fetch": "[]",
        "mappings-TOTAL_FORMS": "1",
        "mappings-INITIAL_FORMS": "0",
        "mappings-0-entity": "account",
        "mappings-0-direction": "outgoing",
        "mappings-0-hull": "name",
        "mappings-0-service": "name",
        "mappings-0-position": "0",
    }
    response = staff_client.post(reverse("admin:sync_connector_add"), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    initech = Connector.objects.get(name="initech")
    assert initech.hull_secret == "initech-secret"
    assert initech.outgoing_account_attributes == [{"hull": "name", "service": "name"}]


def test_logs_are_searched_by_email(staff_client, world):
    connector, _ = world
    sync_log(connector=connector, event="incoming.user.success", email="grace@example.com")
    html = staff_client.get(reverse("admin:sync_synclog_changelist"), {"q": "ADA@example.com"}).content.decode()
    assert "ada@example.com" in html
    assert "grace@example.com" not in html


def test_logs_are_filtered_by_event(staff_client, world):
    connector, _ = world
    sync_log(connector=connector, event="outgoing.user.skip", email="grace@example.com")
    html = staff_client.get(reverse("admin:sync_synclog_changelist"), {"event": "incoming.user.error"}).content.decode()
    assert "ada@example.com" in html
    assert "grace@example.com" not in html


def test_rerun_creates_a_new_attempt_with_the_same_input(staff_client, world):
    _, job = world
    response = staff_client.post(
        reverse("admin:sync_syncjob_changelist"), {"action": "rerun", "_selected_action": [job.pk]}
    )
    assert response.status_code == 302
    rerun = SyncJob.objects.get(rerun_of=job)
    assert rerun.status == JobStatus.QUEUED
    assert rerun.kind == job.kind
    assert rerun.started_by == "admin:alice"


def test_staff_can_set_up_totp_multi_factor(client, alice):
    client.post(reverse("account_login"), {"login": "alice", "password": "alice-password"})
    # Sensitive pages ask for the password again first (allauth's reauthentication).
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": "alice-password"})
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    assert b"Authenticator" in response.content or b"authenticator" in response.content


def test_long_lists_count_only_up_to_a_cap(staff_client, connector, monkeypatch):
    from sync.admin import NoCountPaginator
    from sync.models import SyncLog

    monkeypatch.setattr(NoCountPaginator, "COUNT_CAP", 5)
    SyncLog.objects.bulk_create(SyncLog(connector=connector, event="incoming.user.success") for _ in range(12))

    response = staff_client.get(reverse("admin:sync_synclog_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 5
