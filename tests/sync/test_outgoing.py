"""Hull users and accounts become Outreach prospects and accounts (Hull sandbox → hullreach → Outreach sandbox)."""

import pytest

from sync.choices import Entity, JobKind, JobStatus, MessageStatus
from sync.models import HullMessage, IdLink, SyncJob

from tests.sync.outgoing_world import lines, map_in, synced, writes_of

pytestmark = pytest.mark.django_db


def test_a_new_user_in_a_synchronized_segment_is_looked_up_then_created_and_written_back(
    connector, outreach, hull, leads, run_jobs
):
    hull.user(email="Leia@Rebellion.org", traits={"title": "General", "phone": "+1555"}, segments=[leads], notify=True)
    hull.notify()

    [job] = run_jobs()

    assert job.kind == JobKind.OUTGOING and job.status == JobStatus.SUCCEEDED, job.error
    [lookup, create] = writes_of(outreach)
    assert (lookup.method, lookup.path) == ("GET", "/prospects")
    assert lookup.query["filter[emails]"] == "leia@rebellion.org"
    assert (create.method, create.path) == ("POST", "/prospects")
    assert create.json == {
        "data": {
            "type": "prospect",
            "attributes": {"title": "General", "workPhones": ["+1555"], "emails": ["Leia@Rebellion.org"]},
        }
    }
    prospect_id = outreach.all("prospect")[0]["id"]
    traits = hull.user_traits(email="leia@rebellion.org")
    assert traits["outreach/id"] == prospect_id
    assert traits["outreach/title"] == "General"
    [success] = lines("outgoing.user.success")
    assert success.payload == {"data": create.json, "type": "Prospect"}
    assert success.outreach_id == prospect_id and success.email == "leia@rebellion.org"
    assert success.message == "entered the synchronized segment Leads"
    assert len(lines("incoming.user.success")) == 1
    link = IdLink.objects.get(entity=Entity.USER, outreach_id=prospect_id)
    assert link.hull_id == hull.find_user(email="leia@rebellion.org").hull_id
    assert link.identity == "leia@rebellion.org" and link.last_pushed_at is not None
    assert link.outreach_values["title"] == "General"


def test_a_user_outside_the_synchronized_segments_is_skipped_with_the_reason_and_nothing_is_sent(
    connector, outreach, hull, leads, run_jobs
):
    other = hull.segment("Partners")
    hull.user(email="lando@bespin.com", traits={"title": "Baron"}, segments=[other], notify=True)
    hull.notify()

    [job] = run_jobs()

    assert job.status == JobStatus.SUCCEEDED and job.skipped == 1
    assert writes_of(outreach) == []
    [skip] = lines("outgoing.user.skip")
    assert skip.message.startswith("User is not present in any of the defined segments to send to service.")
    assert "The user's segments: Partners." in skip.message
    assert skip.email == "lando@bespin.com"
    assert HullMessage.objects.get().status == MessageStatus.SKIPPED


def test_a_linked_user_with_one_changed_attribute_costs_exactly_one_patch_without_claims(
    connector, outreach, hull, leads, run_jobs
):
    user = synced(connector, outreach, hull, run_jobs, email="han@falcon.com", traits={"title": "Pilot"}, segments=[leads])
    prospect_id = IdLink.objects.get(entity=Entity.USER).outreach_id

    hull.edit_user(user, traits={"title": "General"})
    hull.notify()
    run_jobs()

    [patch] = writes_of(outreach)
    assert (patch.method, patch.path) == ("PATCH", f"/prospects/{prospect_id}")
    assert patch.json == {"data": {"type": "prospect", "id": prospect_id, "attributes": {"title": "General"}}}
    [success] = lines("outgoing.user.success")
    assert success.payload == {"data": patch.json, "type": "Prospect"}
    assert success.message == "synchronized attributes changed: title"
    assert hull.user_traits(email="han@falcon.com")["outreach/title"] == "General"
    assert IdLink.objects.get(entity=Entity.USER).outreach_values["title"] == "General"


def test_an_unmapped_change_is_skipped_with_the_original_reason(connector, outreach, hull, leads, run_jobs):
    user = synced(connector, outreach, hull, run_jobs, email="han@falcon.com", traits={"title": "Pilot"}, segments=[leads])

    hull.edit_user(user, traits={"ship": "Falcon"})
    hull.notify()
    run_jobs()

    assert writes_of(outreach) == []
    [skip] = lines("outgoing.user.skip")
    assert skip.message.startswith("No changes on any of the synchronized attributes for this user.")
    assert skip.message.endswith("Changed: ship.")


def test_the_same_notification_delivered_twice_produces_no_second_patch(connector, outreach, hull, leads, run_jobs):
    user = synced(connector, outreach, hull, run_jobs, email="han@falcon.com", traits={"title": "Pilot"}, segments=[leads])
    hull.edit_user(user, traits={"title": "General"})
    [body] = hull.notify()
    run_jobs()
    assert len(writes_of(outreach, "PATCH")) == 1

    hull.notifier._post("/smart-notifier", body)  # Hull redelivers the very same notification
    run_jobs()
    body["notification_id"] = "another-id-same-content"  # and once more under a new id
    hull.notifier._post("/smart-notifier", body)
    run_jobs()

    assert len(writes_of(outreach, "PATCH")) == 1
    [skip] = lines("outgoing.user.skip")
    assert skip.message.startswith("no changes to send: Outreach already has every value")
    assert skip.level == "info"


def test_a_value_that_just_arrived_from_outreach_is_not_pushed_back(connector, outreach, hull, leads, run_jobs, client):
    from connectors.outreach.webhooks import webhook_ensure

    from tests.fixtures_outreach import deliver_to_django_client

    map_in(connector, "title", "title")  # the same Hull attribute both ways
    synced(connector, outreach, hull, run_jobs, email="han@falcon.com", traits={"title": "Pilot"}, segments=[leads])
    prospect_id = IdLink.objects.get(entity=Entity.USER).outreach_id
    outreach.deliver = deliver_to_django_client(client)
    webhook_ensure(connector=connector)

    outreach.change("prospect", prospect_id, {"title": "Smuggler"})  # a sales rep edits it in Outreach
    run_jobs()  # the webhook job writes title=Smuggler to Hull
    assert hull.user_traits(email="han@falcon.com")["title"] == "Smuggler"
    outreach.requests.clear()
    hull.notify()  # Hull tells us title changed
    run_jobs()

    assert writes_of(outreach) == []
    [skip] = lines("outgoing.user.skip")
    assert skip.message.startswith("no changes to send")


def test_a_stored_id_answering_404_is_dropped_and_the_prospect_found_by_email(connector, outreach, hull, leads, run_jobs):
    user = synced(connector, outreach, hull, run_jobs, email="han@falcon.com", traits={"title": "Pilot"}, segments=[leads])
    old_id = IdLink.objects.get(entity=Entity.USER).outreach_id
    # Someone merged the prospect into a new one in Outreach: the old id is gone, the email lives on.
    del outreach.store["prospect"][old_id]
    survivor = outreach.prospect_add(emails=["han@falcon.com"], title="Pilot")

    hull.edit_user(user, traits={"title": "General"})
    hull.notify()
    run_jobs()

    assert [(r.method, r.path) for r in writes_of(outreach)] == [
        ("PATCH", f"/prospects/{old_id}"),
        ("GET", "/prospects"),
        ("PATCH", f"/prospects/{survivor['id']}"),
    ]
    assert writes_of(outreach)[2].json["data"]["attributes"] == {"title": "General", "emails": ["han@falcon.com"]}
    assert len(outreach.all("prospect")) == 1
    assert list(IdLink.objects.filter(entity=Entity.USER).values_list("outreach_id", flat=True)) == [survivor["id"]]
    [success] = lines("outgoing.user.success")
    assert f"the stored Outreach prospect id {old_id} no longer exists (404)" in success.message
    assert hull.user_traits(email="han@falcon.com")["outreach/id"] == survivor["id"]


def test_a_stored_id_answering_404_with_no_match_creates_one_new_prospect(connector, outreach, hull, leads, run_jobs):
    user = synced(connector, outreach, hull, run_jobs, email="han@falcon.com", traits={"title": "Pilot"}, segments=[leads])
    old_id = IdLink.objects.get(entity=Entity.USER).outreach_id
    del outreach.store["prospect"][old_id]

    hull.edit_user(user, traits={"title": "General"})
    hull.notify()
    run_jobs()

    assert [(r.method, r.path) for r in writes_of(outreach)] == [
        ("PATCH", f"/prospects/{old_id}"),
        ("GET", "/prospects"),
        ("POST", "/prospects"),
    ]
    [prospect] = outreach.all("prospect")
    assert prospect["attributes"]["title"] == "General"
    assert hull.user_traits(email="han@falcon.com")["outreach/id"] == prospect["id"]


def test_a_5xx_on_one_message_of_ten_retries_only_that_one(connector, outreach, hull, leads, run_jobs):
    from sync.jobs import job_run

    users = [hull.user(email=f"pilot{i}@rebellion.org", traits={"title": "Pilot"}, segments=[leads], notify=True)
             for i in range(10)]
    hull.notify()
    run_jobs()
    hull.notify()
    run_jobs()
    outreach.requests.clear()
    links = {link.hull_id: link.outreach_id for link in IdLink.objects.filter(entity=Entity.USER)}
    for user in users:
        hull.edit_user(user, traits={"title": "Commander"})
    failing = links[users[3].hull_id]
    outreach.fault_add(f"/prospects/{failing}", method="PATCH", status=503, times=4)  # outlives the client's retries
    hull.notify()

    [job] = run_jobs()
    assert job.status == JobStatus.RETRYING and job.succeeded == 9
    assert len(writes_of(outreach, "PATCH")) == 10 + 3
    statuses = dict(HullMessage.objects.filter(notification=job.notification).values_list("hull_id", "status"))
    assert statuses[users[3].hull_id] == MessageStatus.PENDING
    [retry_line] = [line for line in lines("outgoing.user.error")]
    assert retry_line.level == "warning" and "Only this message is retried" in retry_line.message

    outreach.requests.clear()
    job = job_run(job.pk)

    assert job.status == JobStatus.SUCCEEDED and job.succeeded == 10
    assert [(r.method, r.path) for r in writes_of(outreach)] == [("PATCH", f"/prospects/{failing}")]
    assert outreach.get("prospect", failing)["attributes"]["title"] == "Commander"


def test_a_job_that_exhausts_its_attempts_fails_and_a_rerun_resends_only_what_did_not_succeed(
    connector, outreach, hull, leads, run_jobs
):
    from sync.jobs import job_rerun, job_run

    for i in range(3):
        hull.user(email=f"pilot{i}@rebellion.org", traits={"title": "Pilot"}, segments=[leads], notify=True)
    outreach.fault_add("/prospects", method="POST", status=400, times=1)  # the first create is refused
    hull.notify()
    [job] = run_jobs()
    assert (job.succeeded, job.failed) == (2, 1)
    [error] = lines("outgoing.user.error")
    assert "Outreach has rejected the objects being sent" in error.message
    assert "Outreach Error Details: [serverError] Server Error: Something went wrong." in error.message
    outreach.requests.clear()

    rerun = job_rerun(job, started_by="alice")
    job_run(rerun.pk)

    rerun.refresh_from_db()
    assert rerun.status == JobStatus.SUCCEEDED and rerun.succeeded == 1
    assert [(r.method, r.path) for r in writes_of(outreach)] == [("GET", "/prospects"), ("POST", "/prospects")]
    assert len(outreach.all("prospect")) == 3


def test_a_job_that_exhausts_its_attempts_is_failed_and_its_rerun_sends_only_the_pending_message(
    connector, outreach, hull, leads, run_jobs
):
    from sync.jobs import job_rerun, job_run

    for i in range(3):
        hull.user(email=f"pilot{i}@rebellion.org", traits={"title": "Pilot"}, segments=[leads], notify=True)
    outreach.fault_add("/prospects", method="GET", status=503, times=4)  # the first lookup never answers
    hull.notify()
    SyncJob.objects.update(max_attempts=1)
    [job] = run_jobs()
    assert job.status == JobStatus.FAILED and "gave up after 1 attempts" in job.error
    assert job.succeeded == 2
    [job_error] = lines("outgoing.job.error")
    assert "could not reach Outreach" in job_error.message
    outreach.requests.clear()

    rerun = job_run(job_rerun(job, started_by="alice").pk)

    assert rerun.status == JobStatus.SUCCEEDED and rerun.succeeded == 1
    assert [(r.method, r.path, r.query.get("filter[emails]")) for r in writes_of(outreach)] == [
        ("GET", "/prospects", "pilot0@rebellion.org"),
        ("POST", "/prospects", None),
    ]


def test_an_ambiguous_create_is_looked_up_before_any_retry_and_never_sent_twice(
    connector, outreach, hull, leads, run_jobs
):
    hull.user(email="leia@rebellion.org", traits={"title": "General"}, segments=[leads], notify=True)
    outreach.fault_add("/prospects", method="POST", timeout=True, after_write=True, times=1)
    hull.notify()

    [job] = run_jobs()

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert [(r.method, r.path) for r in writes_of(outreach)] == [
        ("GET", "/prospects"), ("POST", "/prospects"), ("GET", "/prospects"),
    ]
    [prospect] = outreach.all("prospect")
    assert hull.user_traits(email="leia@rebellion.org")["outreach/id"] == prospect["id"]
    [success] = lines("outgoing.user.success")
    assert "the create timed out but Outreach has the record: not sent again" in success.message


def test_an_email_already_taken_on_create_becomes_a_lookup_and_an_update(connector, outreach, hull, leads, run_jobs):
    existing = outreach.prospect_add(emails=["leia@rebellion.org"], title="Princess")
    hull.user(email="leia@rebellion.org", traits={"title": "General"}, segments=[leads], notify=True)
    outreach.fault_add("/prospects", method="GET", status=404, times=1)  # the first lookup misses it
    hull.notify()

    run_jobs()

    assert [(r.method, r.path, r.status) for r in writes_of(outreach)] == [
        ("GET", "/prospects", 404),
        ("POST", "/prospects", 422),
        ("GET", "/prospects", 200),
        ("PATCH", f"/prospects/{existing['id']}", 200),
    ]
    assert len(outreach.all("prospect")) == 1
    assert outreach.get("prospect", existing["id"])["attributes"]["title"] == "General"
    [success] = lines("outgoing.user.success")
    assert "Outreach said the email is already taken: updated that prospect instead" in success.message


def test_emails_are_compared_normalised_so_a_prospect_in_other_case_is_found_not_duplicated(
    connector, outreach, hull, leads, run_jobs
):
    existing = outreach.prospect_add(emails=["LEIA@Rebellion.org"], title="Princess")
    hull.user(email="  leia@rebellion.ORG ", traits={"title": "General"}, segments=[leads], notify=True)
    hull.notify()

    run_jobs()

    [lookup, patch] = writes_of(outreach)
    assert lookup.query["filter[emails]"] == "leia@rebellion.org"
    assert patch.path == f"/prospects/{existing['id']}"
    assert patch.json["data"]["attributes"]["emails"] == ["leia@rebellion.ORG"]  # one address, not two
    assert len(outreach.all("prospect")) == 1


def test_a_found_prospect_that_already_has_every_value_is_linked_without_a_patch(
    connector, outreach, hull, leads, run_jobs
):
    existing = outreach.prospect_add(emails=["leia@rebellion.org"], title="General")
    hull.user(email="leia@rebellion.org", traits={"title": "General"}, segments=[leads], notify=True)
    hull.notify()

    run_jobs()

    assert [(r.method, r.path) for r in writes_of(outreach)] == [("GET", "/prospects")]
    assert hull.user_traits(email="leia@rebellion.org")["outreach/id"] == existing["id"]
    assert IdLink.objects.get(entity=Entity.USER).hull_id == hull.find_user(email="leia@rebellion.org").hull_id
    [skip] = lines("outgoing.user.skip")
    assert skip.message.startswith("no changes to send")


def test_a_changed_email_reads_the_prospect_once_and_sends_the_new_email_first(
    connector, outreach, hull, leads, run_jobs
):
    user = synced(connector, outreach, hull, run_jobs, email="han@falcon.com", traits={"title": "Pilot"}, segments=[leads])
    prospect_id = IdLink.objects.get(entity=Entity.USER).outreach_id
    outreach.store["prospect"][prospect_id]["attributes"]["emails"] = ["han@falcon.com", "solo@corellia.net"]
    hull.edit_user(user, traits={"email": "han@rebellion.org", "title": "General"})
    hull.notify()
    run_jobs()

    [get, patch] = writes_of(outreach)
    assert (get.method, get.path) == ("GET", f"/prospects/{prospect_id}")
    assert patch.json == {"data": {"type": "prospect", "id": prospect_id, "attributes": {
        "title": "General", "emails": ["han@rebellion.org", "han@falcon.com", "solo@corellia.net"]}}}
