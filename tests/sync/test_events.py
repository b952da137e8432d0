"""Outreach activity becomes Hull events (Outreach sandbox → sync/events.py → Hull sandbox)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.outreach.webhooks import webhook_ensure
from sync import events as events_module
from sync.choices import JobKind, JobStatus, MessageStatus
from sync.events import HULL_EVENT_NAMES
from sync.jobs import job_create, job_run, jobs_recover
from sync.models import OutreachDelivery, SentOutreachEvent, SyncJob, SyncLog

from tests.fixtures_outreach import deliver_to_django_client

pytestmark = pytest.mark.django_db


def whitelist(connector, *names):
    connector.events_to_fetch = list(names)
    connector.save(update_fields=["events_to_fetch"])


def poll(connector, run_jobs):
    job_create(connector=connector, kind=JobKind.FETCH_RECENT_EVENTS, started_by="schedule")
    [job] = run_jobs()
    return job


def history(connector, run_jobs):
    job_create(connector=connector, kind=JobKind.FETCH_EVENTS, started_by="alice")
    [job] = run_jobs()
    return job


def tracks(hull):
    return [w.body for w in hull.writes() if w.kind == "track"]


def lines(event):
    return list(SyncLog.objects.filter(event=event).order_by("id"))


@pytest.fixture
def rep(outreach):
    return outreach.user_add(email="Rep.One@Acme.test", name="Rep One")


@pytest.fixture
def leia(outreach):
    return outreach.prospect_add(emails=["leia@rebellion.org"], firstName="Leia")


@pytest.mark.parametrize("name", sorted(HULL_EVENT_NAMES))
def test_each_whitelisted_event_becomes_the_right_hull_event_with_the_originals_properties(
    name, connector, outreach, hull, run_jobs, rep, leia
):
    whitelist(connector, name)
    event = outreach.event_add(
        name=name,
        prospect_id=leia["id"],
        user_id=rep["id"],
        body="Call notes",
        externalUrl="https://calls.example/1",
        payload={"from": "+1555", "to": "+1666", "callDispositionName": "Answered"},
        requestCity="Paris",
        requestDevice="Mobile Safari",
        requestHost="203.0.113.9",
        requestProxied=False,
        requestRegion="IDF",
    )

    job = poll(connector, run_jobs)

    assert job.status == JobStatus.SUCCEEDED and job.succeeded == 1
    [hull_event] = hull.events(anonymous_id=f"outreach:{leia['id']}")
    assert hull_event.event == HULL_EVENT_NAMES[name]
    assert hull_event.event_id == str(event["id"])
    assert hull_event.source == "Outreach"
    assert hull_event.created_at == event["attributes"]["createdAt"]
    assert hull_event.properties == {
        "body": "Call notes",
        "event_at": event["attributes"]["eventAt"],
        "external_url": "https://calls.example/1",
        "email_id": None,
        "payload": {"from": "+1555", "to": "+1666", "callDispositionName": "Answered"},
        "request_city": "Paris",
        "user_agent": "Mobile Safari",
        "ip": "203.0.113.9",
        "request_proxied": False,
        "request_region": "IDF",
        "user_id": rep["id"],
        "user_email": "Rep.One@Acme.test",
    }
    assert hull.user_traits(anonymous_id=f"outreach:{leia['id']}")["outreach/id"] == leia["id"]
    [line] = lines("incoming.event.success")
    assert line.outreach_id == leia["id"] and HULL_EVENT_NAMES[name] in line.message


def test_mailing_events_are_enriched_from_one_mailings_request_per_page(connector, outreach, hull, run_jobs, rep, leia):
    whitelist(connector, "message_opened", "message_clicked")
    sequence = outreach.sequence_add(name="Rebel outreach")
    step = outreach.sequence_step_add(sequence_id=sequence["id"], order=1, displayName="Step #1 (auto email)")
    first = outreach.mailing_add(prospect_id=leia["id"], subject="Join us", sequence_id=sequence["id"], step_id=step["id"])
    second = outreach.mailing_add(prospect_id=leia["id"], subject="A single note")
    for mailing, name in ((first, "message_opened"), (first, "message_clicked"), (second, "message_opened")):
        outreach.event_add(name=name, prospect_id=leia["id"], user_id=rep["id"], mailing_id=mailing["id"])

    poll(connector, run_jobs)

    [mailings_request] = outreach.requests_to("GET", "/mailings")
    assert sorted(mailings_request.query["filter[id]"].split(",")) == sorted([str(first["id"]), str(second["id"])])
    by_subject = {}
    for event in hull.events(anonymous_id=f"outreach:{leia['id']}"):
        by_subject.setdefault(event.properties["email_subject"], []).append(event)
    assert len(by_subject["Join us"]) == 2
    opened = by_subject["Join us"][0].properties
    assert opened["email_id"] == first["id"]
    assert opened["sequence_id"] == sequence["id"] and opened["sequence_name"] == "Rebel outreach"
    assert opened["sequence_step_id"] == step["id"] and opened["sequence_step_name"] == "Step #1 (auto email)"
    single = by_subject["A single note"][0].properties
    assert single["sequence_id"] is None and single["sequence_name"] is None


def test_the_poll_asks_outreach_only_for_the_whitelisted_names_in_its_window(connector, outreach, hull, run_jobs):
    whitelist(connector, "message_opened", "bounced_message", "prospect_stage_changed")

    poll(connector, run_jobs)

    [request] = outreach.requests_to("GET", "/events")
    assert request.query["filter[name]"] == "message_opened,bounced_message"
    assert request.query["page[size]"] == "1000"
    low, high = request.query["filter[eventAt]"].split("..")
    assert low < high


def test_a_non_whitelisted_event_is_skipped_even_when_outreach_ignores_the_name_filter(
    connector, outreach, hull, run_jobs, leia
):
    whitelist(connector, "message_opened")
    outreach.ignored_filters = {"name"}
    outreach.event_add(name="message_clicked", prospect_id=leia["id"])
    opened = outreach.event_add(name="message_opened", prospect_id=leia["id"])

    job = poll(connector, run_jobs)

    assert [t["event_id"] for t in tracks(hull)] == [str(opened["id"])]
    assert job.succeeded == 1 and job.skipped == 1
    [skip] = lines("incoming.event.skip")
    assert skip.outreach_id == leia["id"] and "message_clicked is not whitelisted" in skip.message


def test_an_unknown_event_name_is_skipped_with_its_name_and_the_fetch_goes_on(connector, outreach, hull, run_jobs, leia):
    whitelist(connector, "message_opened")
    outreach.ignored_filters = {"name"}
    outreach.event_add(name="hologram_projected", prospect_id=leia["id"])
    opened = outreach.event_add(name="message_opened", prospect_id=leia["id"])

    job = history(connector, run_jobs)

    assert job.status == JobStatus.SUCCEEDED
    assert [t["event_id"] for t in tracks(hull)] == [str(opened["id"])]
    [skip] = lines("incoming.event.skip")
    assert "'hologram_projected' is unknown" in skip.message and skip.outreach_id == leia["id"]


def test_an_event_without_a_prospect_is_skipped(connector, outreach, hull, run_jobs):
    whitelist(connector, "outbound_message")
    outreach.event_add(name="outbound_message")

    job = poll(connector, run_jobs)

    assert tracks(hull) == [] and job.skipped == 1
    assert "isn't related to a Prospect" in lines("incoming.event.skip")[0].message


def test_the_poll_sends_an_event_once_although_its_windows_overlap(connector, outreach, hull, run_jobs, leia):
    whitelist(connector, "message_opened")
    outreach.event_add(name="message_opened", prospect_id=leia["id"])
    poll(connector, run_jobs)
    connector.refresh_from_db()
    # The next run starts two minutes before the watermark: the same event is listed again.
    second = poll(connector, run_jobs)

    assert len(tracks(hull)) == 1
    assert second.succeeded == 0 and second.skipped == 1


def test_a_failed_poll_does_not_move_the_watermark(connector, outreach, hull, run_jobs, leia):
    whitelist(connector, "message_opened")
    before = timezone.now() - timedelta(minutes=30)
    connector.events_last_fetch_at = before
    connector.save(update_fields=["events_last_fetch_at"])
    outreach.event_add(name="message_opened", prospect_id=leia["id"])
    outreach.fault_add("/events", method="GET", status=503)

    job = poll(connector, run_jobs)

    assert job.status == JobStatus.RETRYING
    connector.refresh_from_db()
    assert connector.events_last_fetch_at == before
    assert tracks(hull) == []

    outreach.faults_clear()
    job_run(job.pk)
    job.refresh_from_db()
    connector.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert connector.events_last_fetch_at > before
    assert len(tracks(hull)) == 1


def test_a_failed_hull_write_does_not_move_the_watermark_nor_mark_events_sent(connector, outreach, hull, run_jobs, leia):
    whitelist(connector, "message_opened")
    outreach.event_add(name="message_opened", prospect_id=leia["id"])
    hull.fail_firehose(503, 503, 503, 503)

    job = poll(connector, run_jobs)

    assert job.status == JobStatus.RETRYING
    connector.refresh_from_db()
    assert connector.events_last_fetch_at is None
    assert not SentOutreachEvent.objects.exists()
    job_run(job.pk)
    assert len(hull.events(anonymous_id=f"outreach:{leia['id']}")) == 1


class WorkerKilled(BaseException):
    """The worker process dies: nothing in the job runner catches it."""


def test_the_historical_fetch_resumes_after_a_crash_without_sending_any_event_twice(
    connector, outreach, hull, run_jobs, monkeypatch
):
    whitelist(connector, "message_opened", "message_clicked", "outbound_message")
    outreach.seed(prospects=4)
    outreach.events_seed(count=25)
    monkeypatch.setattr(events_module, "PAGE_SIZE", 10)
    real_save = events_module.job_save_progress
    saves = []

    def dies_after_the_second_flush(job):
        saves.append(job.checkpoint)
        if len(saves) == 2:  # page 2 reached Hull, its checkpoint never got written
            raise WorkerKilled()
        real_save(job)

    monkeypatch.setattr(events_module, "job_save_progress", dies_after_the_second_flush)
    job = job_create(connector=connector, kind=JobKind.FETCH_EVENTS, started_by="alice")
    with pytest.raises(WorkerKilled):
        job_run(job.pk)
    assert len(tracks(hull)) == 20

    monkeypatch.setattr(events_module, "job_save_progress", real_save)
    SyncJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=2))
    assert jobs_recover()["revived"] == 1
    job_run(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    sent_ids = [t["event_id"] for t in tracks(hull)]
    assert len(sent_ids) == 25 and len(set(sent_ids)) == 25
    # The resumed run started after page 1 (its last checkpoint), not from the beginning.
    tenth_event_id = sorted(e["id"] for e in outreach.all("event"))[9]
    assert saves[0]["after_id"] == tenth_event_id
    resumed = outreach.requests_to("GET", "/events")[2]
    assert resumed.query["filter[id]"] == f"{tenth_event_id + 1}..inf"
    connector.refresh_from_db()
    assert connector.events_last_fetch_at is None  # the historical fetch never moves the poll's watermark


@pytest.fixture
def wired(connector, outreach, hull, client):
    outreach.deliver = deliver_to_django_client(client)
    webhook_ensure(connector=connector)
    connector.refresh_from_db()
    return connector


def test_a_webhook_delivered_open_followed_by_the_poll_yields_one_hull_event(wired, outreach, hull, run_jobs, rep, leia):
    whitelist(wired, "message_opened")
    mailing = outreach.mailing_add(prospect_id=leia["id"], subject="Join us", user_id=rep["id"])

    event = outreach.mailing_activity(mailing["id"], "opened")
    [webhook_job] = run_jobs()

    assert webhook_job.kind == JobKind.WEBHOOK and webhook_job.status == JobStatus.SUCCEEDED
    [hull_event] = hull.events(anonymous_id=f"outreach:{leia['id']}")
    assert hull_event.event == "Message Opened" and hull_event.event_id == str(event["id"])
    assert hull_event.properties["email_subject"] == "Join us"
    assert OutreachDelivery.objects.get(event_name="mailing.opened").status == MessageStatus.SUCCEEDED

    job = poll(wired, run_jobs)

    assert len(tracks(hull)) == 1
    assert job.succeeded == 0 and job.skipped == 1


def test_a_sequence_state_webhook_becomes_its_event_at_once(wired, outreach, hull, run_jobs, leia):
    whitelist(wired, "sequence_state_advanced", "sequence_state_finished")
    sequence = outreach.sequence_add(name="Rebel outreach")
    first = outreach.sequence_step_add(sequence_id=sequence["id"], order=1)
    outreach.sequence_step_add(sequence_id=sequence["id"], order=2)
    state = outreach.sequence_state_add(prospect_id=leia["id"], sequence_id=sequence["id"], step_id=first["id"])

    advanced = outreach.sequence_state_activity(state["id"], "advanced")
    finished = outreach.sequence_state_activity(state["id"], "finished")
    run_jobs()

    sent = {e.event: e.event_id for e in hull.events(anonymous_id=f"outreach:{leia['id']}")}
    assert sent == {"Sequence State Advanced": str(advanced["id"]), "Sequence State Finished": str(finished["id"])}


def test_a_mailing_webhook_for_a_non_whitelisted_event_sends_nothing_and_asks_outreach_nothing(
    wired, outreach, hull, run_jobs, leia
):
    whitelist(wired, "message_opened")
    mailing = outreach.mailing_add(prospect_id=leia["id"])
    outreach.requests.clear()

    outreach.mailing_activity(mailing["id"], "bounced")
    run_jobs()

    assert tracks(hull) == []
    assert outreach.requests_to("GET", "/events") == []
    delivery = OutreachDelivery.objects.get(event_name="mailing.bounced")
    assert delivery.status == MessageStatus.SKIPPED and "not whitelisted" in delivery.error


def test_a_prospect_webhook_that_changes_the_stage_sends_prospect_stage_changed(wired, outreach, hull, run_jobs, leia):
    whitelist(wired, "prospect_stage_changed")
    replied = outreach.stage_add(name="Replied")

    outreach.change("prospect", leia["id"], {}, {"stage": replied["id"]})
    run_jobs()

    [hull_event] = hull.events(anonymous_id=f"outreach:{leia['id']}")
    assert hull_event.event == "Prospect Stage Changed"
    assert hull_event.properties == {"changed_to": "Replied"}
    assert hull_event.event_id.startswith("outreach-webhook:")
    assert hull.user_traits(anonymous_id=f"outreach:{leia['id']}")["outreach/id"] == leia["id"]


def test_a_stage_change_is_not_an_event_unless_whitelisted(wired, outreach, hull, run_jobs, leia):
    whitelist(wired, "message_opened")
    replied = outreach.stage_add(name="Replied")

    outreach.change("prospect", leia["id"], {}, {"stage": replied["id"]})
    run_jobs()

    assert tracks(hull) == []


def test_staff_start_the_historical_fetch_from_the_connector_page_after_confirming(staff_client, connector):
    from django.urls import reverse

    url = reverse("admin:sync_connector_fetch", args=[connector.pk, JobKind.FETCH_EVENTS])
    page = staff_client.get(reverse("admin:sync_connector_change", args=[connector.pk])).content.decode()
    assert "Fetch historical events" in page and url in page

    staff_client.post(url, {"confirm": "yes"})

    assert SyncJob.objects.get().kind == JobKind.FETCH_EVENTS


def test_the_command_line_fetches_historical_events(connector, outreach, hull, leia):
    from io import StringIO

    from django.core.management import call_command

    whitelist(connector, "message_opened")
    outreach.event_add(name="message_opened", prospect_id=leia["id"])
    out = StringIO()

    call_command("connector", "fetch", "acme", "--events", stdout=out)

    assert "succeeded: 1 succeeded" in out.getvalue()
    assert len(hull.events(anonymous_id=f"outreach:{leia['id']}")) == 1


def test_a_webhook_handled_late_still_finds_its_event(wired, outreach, hull, run_jobs, leia):
    whitelist(wired, "message_opened")
    mailing = outreach.mailing_add(prospect_id=leia["id"])
    outreach.mailing_activity(mailing["id"], "opened")
    # The open happened three hours ago and the drain job runs only now (say after a re-authorization).
    three_hours_ago = timezone.now() - timedelta(hours=3)
    [event] = [e for e in outreach.all("event") if e["relationships"]["mailing"] == mailing["id"]]
    event["attributes"]["eventAt"] = three_hours_ago.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    OutreachDelivery.objects.update(received_at=three_hours_ago)
    outreach.event_add(name="message_opened", prospect_id=leia["id"], mailing_id=mailing["id"],
                       event_at="2001-01-01T00:00:00.000Z")  # a much older open of the same mailing

    run_jobs()

    [request] = outreach.requests_to("GET", "/events")
    assert request.query["filter[mailing][id]"] == str(mailing["id"])
    assert [e.event_id for e in hull.events(anonymous_id=f"outreach:{leia['id']}")] == [str(event["id"])]


def test_events_appear_in_the_persons_timeline_in_the_console(connector, outreach, hull, run_jobs, leia, staff_client):
    from django.urls import reverse

    job_run(job_create(connector=connector, kind=JobKind.FETCH_PROSPECTS, started_by="test", enqueue=False).pk)
    whitelist(connector, "message_opened")
    outreach.event_add(name="message_opened", prospect_id=leia["id"])
    poll(connector, run_jobs)

    html = staff_client.get(reverse("admin:sync_timeline"), {"q": "leia@rebellion.org"}).content.decode()

    assert "incoming.event.success" in html
    assert "Message Opened" in html
    assert html.index("incoming.user.success") < html.index("incoming.event.success")  # in order
