"""Connector actions: what they create, their confirmations, and who may use them."""

import pytest
from django.test import override_settings
from django.urls import reverse

from sync import console_hooks
from sync.choices import JobKind, JobStatus
from sync.models import Connector, SyncJob

pytestmark = pytest.mark.django_db


def fetch_url(connector, kind):
    return reverse("admin:sync_connector_fetch", args=[connector.pk, kind])


@pytest.mark.parametrize("kind", [JobKind.FETCH_ACCOUNTS, JobKind.FETCH_PROSPECTS, JobKind.FETCH_ALL])
def test_a_full_fetch_asks_for_confirmation_before_creating_a_job(staff_client, connector, kind):
    page = staff_client.get(fetch_url(connector, kind))
    assert page.status_code == 200
    assert "are you sure?" in page.content.decode()
    assert not SyncJob.objects.exists()

    staff_client.post(fetch_url(connector, kind))  # a POST without the confirmation
    assert not SyncJob.objects.exists()

    response = staff_client.post(fetch_url(connector, kind), {"confirm": "yes"})
    job = SyncJob.objects.get()
    assert (job.kind, job.status, job.started_by) == (kind, JobStatus.QUEUED, "admin:alice")
    assert response["Location"] == reverse("admin:sync_syncjob_change", args=[job.pk])


def test_the_confirmation_says_the_count_is_unknown_rather_than_inventing_one(staff_client, connector):
    html = staff_client.get(fetch_url(connector, JobKind.FETCH_ALL)).content.decode()
    assert "Outreach has not reported how many records this reads" in html
    assert "10,000 requests" in html


@override_settings(OUTREACH_RATE_LIMIT_PER_HOUR=10000)
def test_the_confirmation_says_how_much_of_the_hourly_budget_a_fetch_takes(staff_client, connector):
    console_hooks.record_counter_set(lambda *, connector, kind: 300_000)
    try:
        html = staff_client.get(fetch_url(connector, JobKind.FETCH_ALL)).content.decode()
    finally:
        console_hooks.record_counter_set(None)
    assert "Outreach reports 300,000 records: about 300 requests, 3% of the hourly budget of 10,000 requests." in html


def test_fetch_recent_is_cheap_and_starts_at_once(staff_client, connector):
    staff_client.post(fetch_url(connector, JobKind.FETCH_RECENT))
    assert SyncJob.objects.get().kind == JobKind.FETCH_RECENT


def test_the_list_action_confirms_then_starts_one_job_per_connector(staff_client, connector):
    other = Connector.objects.create(name="initech", hull_id="h2", hull_organization="i.hullapp.io")
    data = {"action": "fetch_all", "_selected_action": [connector.pk, other.pk]}
    page = staff_client.post(reverse("admin:sync_connector_changelist"), data)
    assert page.status_code == 200 and "are you sure?" in page.content.decode()
    assert not SyncJob.objects.exists()

    response = staff_client.post(reverse("admin:sync_connector_changelist"), {**data, "confirm": "yes"}, follow=True)
    assert "Fetch all (accounts, then prospects): started 2 job(s)." in response.content.decode()
    assert sorted(SyncJob.objects.values_list("connector__name", "kind")) == [
        ("acme", JobKind.FETCH_ALL),
        ("initech", JobKind.FETCH_ALL),
    ]


def test_pause_and_resume(staff_client, connector):
    url = reverse("admin:sync_connector_pause", args=[connector.pk])
    assert staff_client.get(url).status_code == 405
    response = staff_client.post(url, follow=True)
    html = response.content.decode()
    assert "Connector acme paused." in html
    assert f'<form method="post" action="{url}"' in html and ">Resume</button>" in html
    connector.refresh_from_db()
    assert connector.paused
    staff_client.post(reverse("admin:sync_connector_changelist"), {"action": "resume", "_selected_action": [connector.pk]})
    connector.refresh_from_db()
    assert not connector.paused


def test_send_to_outreach_creates_a_job_with_the_typed_ids_and_emails(staff_client, connector):
    url = reverse("admin:sync_connector_send", args=[connector.pk])
    response = staff_client.post(url, {"targets": "Ada@Example.com, 5c0f00000000000000000001\nbob@example.com"})
    job = SyncJob.objects.get()
    assert job.kind == JobKind.SEND_TO_OUTREACH
    assert job.params == {"hull_ids": ["5c0f00000000000000000001"], "emails": ["ada@example.com", "bob@example.com"]}
    assert job.started_by == "admin:alice"
    assert response.status_code == 302


def test_send_to_outreach_refuses_a_bad_email_and_keeps_the_text(staff_client, connector):
    response = staff_client.post(reverse("admin:sync_connector_send", args=[connector.pk]), {"targets": "ada@ bob"})
    html = response.content.decode()
    assert "&#x27;ada@&#x27; is not an email address" in html
    assert "ada@ bob" in html
    assert not SyncJob.objects.exists()


def test_tools_registered_by_the_outreach_side_appear_on_the_connector_page(staff_client, connector):
    tool = console_hooks.ConnectorTool("Re-authorize Outreach", lambda c: f"/outreach/connect/{c.pk}", section="connect")
    console_hooks.connector_tool_register(tool)
    try:
        html = staff_client.get(reverse("admin:sync_connector_change", args=[connector.pk])).content.decode()
    finally:
        console_hooks.connector_tools.remove(tool)
    assert f'href="/outreach/connect/{connector.pk}"' in html and "Re-authorize Outreach" in html


def console_urls(connector, job, line):
    return [
        reverse("admin:sync_connector_changelist"),
        reverse("admin:sync_connector_change", args=[connector.pk]),
        reverse("admin:sync_dashboard"),
        reverse("admin:sync_connector_dashboard", args=[connector.pk]),
        fetch_url(connector, JobKind.FETCH_ALL),
        reverse("admin:sync_connector_send", args=[connector.pk]),
        reverse("admin:sync_syncjob_changelist"),
        reverse("admin:sync_syncjob_change", args=[job.pk]),
        reverse("admin:sync_synclog_changelist"),
        reverse("admin:sync_synclog_change", args=[line.pk]),
        reverse("admin:sync_timeline") + "?q=ada@example.com",
    ]


def post_urls(connector, job):
    return [
        fetch_url(connector, JobKind.FETCH_ALL),
        fetch_url(connector, JobKind.FETCH_RECENT),
        reverse("admin:sync_connector_send", args=[connector.pk]),
        reverse("admin:sync_connector_pause", args=[connector.pk]),
        reverse("admin:sync_syncjob_rerun", args=[job.pk]),
    ]


@pytest.fixture
def job_and_line(connector):
    from sync.logs import sync_log

    job = SyncJob.objects.create(connector=connector, kind=JobKind.FETCH_ALL, status=JobStatus.FAILED)
    return job, sync_log(connector=connector, job=job, event="incoming.user.error", email="ada@example.com")


def test_every_console_page_answers_staff(staff_client, connector, job_and_line):
    for url in console_urls(connector, *job_and_line):
        assert staff_client.get(url).status_code == 200, url


def test_anonymous_visitors_get_no_console_page_and_change_nothing(client, connector, job_and_line):
    job, line = job_and_line
    for url in console_urls(connector, job, line):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url
    for url in post_urls(connector, job):
        response = client.post(url, {"confirm": "yes", "targets": "ada@example.com"})
        assert response.status_code == 302 and "/login" in response["Location"], url
    assert SyncJob.objects.count() == 1
    assert not Connector.objects.get().paused


def test_signed_in_non_staff_get_no_console_page_and_change_nothing(client, charlie, connector, job_and_line):
    client.force_login(charlie)
    job, line = job_and_line
    for url in console_urls(connector, job, line):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert b"ada@example.com" not in response.content
    for url in post_urls(connector, job):
        assert client.post(url, {"confirm": "yes", "targets": "ada@example.com"}).status_code in (302, 403), url
    assert SyncJob.objects.count() == 1
    assert not Connector.objects.get().paused


def test_staff_with_view_only_rights_see_pages_but_cannot_start_work(client, django_user_model, connector, job_and_line):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("vera", "vera@hullreach.test", "pw", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__startswith="view_", content_type__app_label="sync"))
    client.force_login(viewer)
    job, _ = job_and_line
    assert client.get(reverse("admin:sync_connector_dashboard", args=[connector.pk])).status_code == 200
    for url in post_urls(connector, job):
        assert client.post(url, {"confirm": "yes", "targets": "ada@example.com"}).status_code == 403, url
    assert SyncJob.objects.count() == 1
