"""Job pages, log pages and the subject timeline, as staff see them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sync.choices import Entity, JobKind, JobStatus, MessageStatus
from sync.logs import sync_log
from sync.models import HullMessage, HullNotification, IdLink, SyncJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def outgoing_job(connector):
    notification = HullNotification.objects.create(connector=connector, notification_id="n-1", channel="user:update", message_count=2)
    HullMessage.objects.create(notification=notification, position=0, entity=Entity.USER, hull_id="hull-ada", body={}, status=MessageStatus.SUCCEEDED)
    HullMessage.objects.create(
        notification=notification, position=1, entity=Entity.USER, hull_id="hull-bob", body={}, status=MessageStatus.FAILED,
        error="422 email on the customer's own domain",
    )
    job = SyncJob.objects.create(
        connector=connector, kind=JobKind.OUTGOING, status=JobStatus.FAILED, notification=notification, attempts=2,
        error="JobRetry: 503 from Outreach (gave up after 2 attempts)", started_by="hull:smart-notifier",
        succeeded=1, failed=1,
    )
    sync_log(connector=connector, job=job, event="outgoing.user.success", email="ada@example.com", hull_id="hull-ada")
    sync_log(connector=connector, job=job, event="outgoing.user.error", email="bob@acme.com", hull_id="hull-bob", message="422 own domain")
    return job


def test_the_job_list_shows_kind_status_progress_counts_duration_and_who(staff_client, connector):
    now = timezone.now()
    SyncJob.objects.create(
        connector=connector, kind=JobKind.FETCH_PROSPECTS, status=JobStatus.RUNNING, progress_done=300,
        progress_total=1200, succeeded=290, skipped=7, failed=3, started_by="admin:alice",
        started_at=now - timedelta(minutes=2, seconds=5),
    )
    html = staff_client.get(reverse("admin:sync_syncjob_changelist")).content.decode()
    assert "Fetch all prospects" in html and "▶ Running" in html
    assert '<progress max="1200" value="300" title="25%"></progress>' in html
    assert ">290</span> / 7 / <span" in html
    assert "2m 5s so far" in html
    assert "admin:alice" in html


def test_jobs_are_filtered_by_connector_kind_status_and_time(staff_client, connector, outgoing_job):
    SyncJob.objects.create(connector=connector, kind=JobKind.FETCH_ALL, status=JobStatus.SUCCEEDED)
    url = reverse("admin:sync_syncjob_changelist")
    html = staff_client.get(url, {"kind__exact": "fetch_all"}).content.decode()
    assert "Fetch all (accounts, then prospects)" in html and "hull:smart-notifier" not in html
    html = staff_client.get(url, {"status__exact": "failed", "connector__id__exact": connector.pk}).content.decode()
    assert "hull:smart-notifier" in html and "✔ Succeeded" not in html
    hour_ago, in_an_hour = (timezone.now() + timedelta(hours=h) for h in (-1, 1))
    assert "hull:smart-notifier" in staff_client.get(url, {"created_at__gte": hour_ago.isoformat()}).content.decode()
    assert "hull:smart-notifier" not in staff_client.get(url, {"created_at__gte": in_an_hour.isoformat()}).content.decode()


def test_the_job_page_shows_input_log_lines_attempts_and_errors(staff_client, outgoing_job):
    html = staff_client.get(reverse("admin:sync_syncjob_change", args=[outgoing_job.pk])).content.decode()
    assert "hull-bob" in html and "422 email on the customer&#x27;s own domain" in html  # input, per message
    assert "503 from Outreach (gave up after 2 attempts)" in html  # the error
    assert html.index("outgoing.user.error") < html.index("outgoing.user.success")  # newest first
    assert reverse("admin:sync_timeline") + "?q=bob%40acme.com" in html  # linked to the subject
    assert reverse("admin:sync_syncjob_rerun", args=[outgoing_job.pk]) in html


def test_the_job_page_shows_params_of_a_send_to_outreach(staff_client, connector):
    job = SyncJob.objects.create(connector=connector, kind=JobKind.SEND_TO_OUTREACH, params={"emails": ["ada@example.com"], "hull_ids": []})
    html = staff_client.get(reverse("admin:sync_syncjob_change", args=[job.pk])).content.decode()
    assert "&quot;emails&quot;: [" in html and "ada@example.com" in html


def test_rerun_from_the_job_page_makes_a_new_attempt_and_shows_the_chain(staff_client, outgoing_job):
    url = reverse("admin:sync_syncjob_rerun", args=[outgoing_job.pk])
    assert staff_client.get(url).status_code == 405  # never on a GET
    response = staff_client.post(url, follow=True)
    rerun = SyncJob.objects.get(rerun_of=outgoing_job)
    assert (rerun.status, rerun.notification_id, rerun.started_by) == (JobStatus.QUEUED, outgoing_job.notification_id, "admin:alice")
    html = response.content.decode()
    assert f"Queued job #{rerun.pk}, a new attempt of #{outgoing_job.pk}." in html
    assert f">#{outgoing_job.pk}</a>" in html  # the earlier attempt is listed on the new job's page


def test_the_log_list_shows_the_reason_and_links_subject_and_job(staff_client, outgoing_job):
    html = staff_client.get(reverse("admin:sync_synclog_changelist")).content.decode()
    assert "422 own domain" in html
    assert reverse("admin:sync_timeline") + "?q=bob%40acme.com" in html
    assert reverse("admin:sync_syncjob_change", args=[outgoing_job.pk]) in html
    assert "✖ error" in html


@pytest.mark.parametrize(
    "term, found",
    [("bob@acme.com", True), ("hull-bob", True), ("acme.com", True), ("987654", True), ("hull-zed", False)],
)
def test_logs_are_found_by_email_hull_id_domain_or_outreach_id(staff_client, connector, term, found):
    sync_log(connector=connector, event="incoming.account.success", domain="acme.com", outreach_id=987654, hull_id="hull-bob", email="bob@acme.com")
    sync_log(connector=connector, event="incoming.user.skip", email="other@example.com", message="no change")
    html = staff_client.get(reverse("admin:sync_synclog_changelist"), {"q": term}).content.decode()
    assert ("bob@acme.com" in html) is found
    assert "other@example.com" not in html


def test_logs_are_filtered_by_connector_level_and_time(staff_client, connector, outgoing_job):
    url = reverse("admin:sync_synclog_changelist")
    html = staff_client.get(url, {"level__exact": "error", "connector__id__exact": connector.pk}).content.decode()
    assert "bob@acme.com" in html and "ada@example.com" not in html
    html = staff_client.get(url, {"job__id__exact": outgoing_job.pk}).content.decode()
    assert "bob@acme.com" in html
    hour_ago, in_an_hour = (timezone.now() + timedelta(hours=h) for h in (-1, 1))
    assert "bob@acme.com" in staff_client.get(url, {"created_at__gte": hour_ago.isoformat()}).content.decode()
    assert "bob@acme.com" not in staff_client.get(url, {"created_at__gte": in_an_hour.isoformat()}).content.decode()


def test_the_log_page_shows_the_redacted_payload_readably_with_links(staff_client, connector, outgoing_job):
    line = sync_log(
        connector=connector, job=outgoing_job, event="outgoing.user.error", email="bob@acme.com",
        payload={"request": {"emails": ["bob@acme.com"], "access_token": "outreach-access-token-acme"}, "status": 422},
    )
    html = staff_client.get(reverse("admin:sync_synclog_change", args=[line.pk])).content.decode()
    assert "outreach-access-token-acme" not in html
    assert "&quot;access_token&quot;: &quot;[redacted]&quot;" in html
    assert '\n    &quot;emails&quot;: [' in html  # indented, one key per line
    assert reverse("admin:sync_syncjob_change", args=[outgoing_job.pk]) in html
    assert reverse("admin:sync_timeline") + "?q=bob%40acme.com" in html


def test_a_timeline_follows_a_person_through_both_directions_and_all_their_ids(staff_client, connector, outgoing_job):
    IdLink.objects.create(connector=connector, entity=Entity.USER, hull_id="hull-bob", outreach_id=4242, identity="bob@acme.com")
    sync_log(connector=connector, event="incoming.user.success", outreach_id=4242, message="from webhook")
    sync_log(connector=connector, event="incoming.user.skip", email="someone@else.com", message="unrelated")

    html = staff_client.get(reverse("admin:sync_timeline"), {"q": "bob@acme.com"}).content.decode()

    assert "Hull <code>hull-bob</code> ↔ Outreach <code>4242</code>" in html
    assert html.index("→ outgoing.user.error") < html.index("← incoming.user.success")  # oldest first
    assert "from webhook" in html  # a line that only named the Outreach id
    assert "unrelated" not in html
    assert staff_client.get(reverse("admin:sync_timeline"), {"q": "4242"}).content.decode().count('<tr class="level-') == 2


def test_the_log_search_offers_the_subjects_timeline(staff_client, outgoing_job):
    html = staff_client.get(reverse("admin:sync_synclog_changelist"), {"q": "bob@acme.com"}).content.decode()
    assert "Timeline of bob@acme.com" in html
