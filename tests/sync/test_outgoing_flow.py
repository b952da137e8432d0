"""The outgoing job around the messages: waiting for Outreach, the §3.7 email fetch, Send to, /batch, concurrency."""

import threading

import pytest

from sync.choices import AuthStatus, Entity, JobKind, JobStatus, MessageStatus
from sync.models import Connector, HullMessage, IdLink, SyncJob

from tests.sync.outgoing_world import lines, synced, writes_of


@pytest.mark.django_db
def test_without_a_usable_outreach_token_the_job_waits_and_resumes_after_reauthorization(
    connector, outreach, hull, leads, run_jobs
):
    from sync.jobs import jobs_resume_waiting

    hull.user(email="leia@rebellion.org", traits={"title": "General"}, segments=[leads], notify=True)
    hull.notify()  # stored and acknowledged; then the token stops working before the job runs
    Connector.objects.filter(pk=connector.pk).update(outreach_auth_status=AuthStatus.NEEDS_REAUTH)

    [job] = run_jobs()

    assert job.status == JobStatus.WAITING
    assert writes_of(outreach) == [] and lines("outgoing.user.skip") == []
    assert HullMessage.objects.get().status == MessageStatus.PENDING

    Connector.objects.filter(pk=connector.pk).update(outreach_auth_status=AuthStatus.OK)
    connector.refresh_from_db()
    jobs_resume_waiting(connector)
    [job] = run_jobs()

    assert job.status == JobStatus.SUCCEEDED and job.succeeded == 1
    assert len(outreach.all("prospect")) == 1


@pytest.mark.django_db
def test_a_token_revoked_mid_job_keeps_the_rest_of_the_messages_waiting(connector, outreach, hull, leads, run_jobs):
    for i in range(3):
        hull.user(email=f"pilot{i}@rebellion.org", traits={"title": "Pilot"}, segments=[leads], notify=True)
    outreach.fault_add("/prospects", method="POST", status=401, times=99)
    outreach.refresh_token_revoke()
    outreach.token_expire_now()
    hull.notify()

    [job] = run_jobs()

    assert job.status == JobStatus.WAITING
    assert set(HullMessage.objects.values_list("status", flat=True)) == {MessageStatus.PENDING}


@pytest.mark.django_db
def test_a_webhook_created_user_without_email_gets_it_from_outreach_even_outside_the_segments(
    connector, outreach, hull, leads, run_jobs
):
    prospect = outreach.prospect_add(emails=["wedge@rogue.org"], firstName="Wedge")
    hull.user(anonymous_ids=[f"outreach:{prospect['id']}"],
              traits={"outreach/id": prospect["id"], "outreach/created_by_webhook": True}, notify=True)
    hull.notify()

    [job] = run_jobs()

    assert job.skipped == 1
    assert [(r.method, r.path) for r in writes_of(outreach)] == [("GET", f"/prospects/{prospect['id']}")]
    assert hull.find_user(anonymous_id=f"outreach:{prospect['id']}").email == "wedge@rogue.org"
    assert lines("outgoing.user.skip")[0].message.startswith("User is not present in any of the defined segments")
    assert len(lines("incoming.user.success")) == 1


@pytest.mark.django_db
def test_the_email_fetch_is_skipped_when_the_webhook_already_gave_hull_the_email(connector, outreach, hull, run_jobs):
    prospect = outreach.prospect_add(emails=["wedge@rogue.org"])
    IdLink.objects.create(connector=connector, entity=Entity.USER, outreach_id=prospect["id"], identity="wedge@rogue.org")
    hull.user(anonymous_ids=[f"outreach:{prospect['id']}"],
              traits={"outreach/id": prospect["id"], "outreach/created_by_webhook": True}, notify=True)
    hull.notify()

    run_jobs()

    assert writes_of(outreach) == []


@pytest.mark.django_db
def test_a_batch_export_bypasses_the_segment_filter(connector, outreach, hull, leads, run_jobs):
    outsider = hull.user(email="lando@bespin.com", traits={"title": "Baron"})

    status, _ = hull.batch(users=[outsider])
    [job] = run_jobs()

    assert status == 200 and job.kind == JobKind.HULL_BATCH and job.succeeded == 1, job.error
    [create] = writes_of(outreach, "POST")
    assert create.json["data"]["attributes"] == {"title": "Baron", "emails": ["lando@bespin.com"]}
    assert lines("outgoing.user.success")[0].message.startswith("sent by a Send to export")


@pytest.mark.django_db
def test_send_to_resends_the_latest_stored_message_and_names_targets_never_seen(
    connector, outreach, hull, leads, run_jobs
):
    from sync.console_actions import connector_send_to_outreach

    user = synced(connector, outreach, hull, run_jobs, email="han@falcon.com", traits={"title": "Pilot"}, segments=[leads])
    prospect_id = IdLink.objects.get(entity=Entity.USER).outreach_id
    outreach.store["prospect"][prospect_id]["attributes"]["title"] = "changed in Outreach"
    IdLink.objects.update(outreach_values={})  # we no longer know what Outreach has

    job = connector_send_to_outreach(connector=connector, text=f"HAN@falcon.com {user.hull_id} nobody@nowhere.org 5f00",
                                     started_by="alice")
    run_jobs()
    job.refresh_from_db()

    assert job.kind == JobKind.SEND_TO_OUTREACH and job.status == JobStatus.SUCCEEDED, job.error
    assert (job.succeeded, job.skipped) == (1, 2)
    [patch] = writes_of(outreach, "PATCH")
    assert patch.json["data"]["attributes"] == {"title": "Pilot"}
    skips = [line.message for line in lines("outgoing.user.skip")]
    assert any("never received a user with the email nobody@nowhere.org" in m for m in skips)
    assert any("never received the Hull id 5f00" in m for m in skips)


@pytest.mark.django_db
def test_a_second_message_for_the_same_new_email_waits_for_the_first_ones_create_and_never_posts(
    connector, outreach, hull, leads, monkeypatch
):
    """Deterministic: worker B runs while worker A sits between its lookup and its create."""
    from sync import outgoing_lock
    from sync.jobs import job_run

    monkeypatch.setattr(outgoing_lock, "LOCK_WAIT_SECONDS", 0.2)
    hull.user(email="leia@rebellion.org", traits={"title": "General"}, segments=[leads], notify=True)
    [body] = hull.notify()
    body["notification_id"] = "a-second-notification"
    hull.notifier._post("/smart-notifier", body)
    job_a, job_b = SyncJob.objects.filter(kind=JobKind.OUTGOING).order_by("id")
    original = outreach.handle
    nested = []

    def b_runs_during_a_lookup(method, url, headers, body_bytes):
        answer = original(method, url, headers, body_bytes)
        if method.upper() == "GET" and "/prospects" in url and not nested:
            nested.append(job_run(job_b.pk))  # A holds the identity lock now
        return answer

    outreach.handle = b_runs_during_a_lookup
    job_run(job_a.pk)
    outreach.handle = original

    [b_first] = nested
    assert b_first.status == JobStatus.RETRYING  # B could not take the lock: its message waits
    assert "another worker is creating the user" in b_first.error
    assert len(outreach.requests_to("POST", "/prospects")) == 1
    job_b = job_run(job_b.pk)  # B's retry finds what A created
    assert job_b.status == JobStatus.SUCCEEDED
    assert len(outreach.all("prospect")) == 1
    assert len(outreach.requests_to("POST", "/prospects")) == 1


def _on_sqlite():
    from django.conf import settings

    return "sqlite" in settings.DATABASES["default"]["ENGINE"]


@pytest.mark.skipif(_on_sqlite(), reason="SQLite's in-memory test database locks whole tables across threads")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_messages_for_a_new_email_create_one_prospect(connector, outreach, hull, leads):
    """Two workers, each with its own notification about the same new person, released at once."""
    from django.db import connection

    from sync.jobs import job_run

    hull.user(email="leia@rebellion.org", traits={"title": "General"}, segments=[leads], notify=True)
    [body] = hull.notify()
    SyncJob.objects.update(status=JobStatus.CANCELLED)
    body["notification_id"] = "second-delivery"
    hull.notifier._post("/smart-notifier", body)
    jobs = list(SyncJob.objects.filter(kind=JobKind.OUTGOING).order_by("id"))
    SyncJob.objects.update(status=JobStatus.QUEUED)
    # Both lookups happen before either create: without the lock both would POST.
    outreach.latency_seconds = 0.0
    barrier = threading.Barrier(2)
    original = outreach.handle

    def slow_lookups(method, url, headers, body):
        if method.upper() == "GET" and "/prospects" in url:
            try:
                barrier.wait(timeout=0.5)
            except threading.BrokenBarrierError:
                pass  # the other worker is held by the lock: it cannot look up yet
        return original(method, url, headers, body)

    outreach.handle = slow_lookups
    errors = []

    def work(job_id):
        try:
            job_run(job_id)
        except Exception as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(job.pk,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(outreach.all("prospect")) == 1
    assert len(outreach.requests_to("POST", "/prospects")) == 1
    assert sorted(SyncJob.objects.filter(kind=JobKind.OUTGOING).values_list("status", flat=True)) == [
        JobStatus.SUCCEEDED, JobStatus.SUCCEEDED]
