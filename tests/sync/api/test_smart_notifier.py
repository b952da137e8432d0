import json
import sys
import types

import pytest

from sync import jobs
from sync.choices import AuthStatus, JobKind, JobStatus, MessageStatus
from sync.models import HullMessage, HullNotification, SeenAttribute, SeenSegment, SyncJob
from tests.conftest import FIXTURES, HULL_ID, HULL_ORGANIZATION, HULL_SECRET

pytestmark = pytest.mark.django_db

CONFIGURATION = {"id": HULL_ID, "organization": HULL_ORGANIZATION, "secret": HULL_SECRET}


def notification(**overrides):
    body = json.loads((FIXTURES / "notifier-payloads" / "outgoing-user-changes.json").read_text())
    body["configuration"] = dict(CONFIGURATION)
    body.update(overrides)
    return body


def post(client, body, **extra):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/smart-notifier", data=data, content_type="application/json", **extra)


def nothing_stored():
    return not HullNotification.objects.exists() and not HullMessage.objects.exists() and not SyncJob.objects.exists()


@pytest.fixture
def handled(monkeypatch):
    """The outgoing job handler replaced by one that records what it found in the database."""
    seen = []

    def handle(job):
        seen.append([(m.position, m.body["message_id"]) for m in job.notification.messages.order_by("position")])

    module = types.ModuleType("recording_handlers")
    module.handle = handle
    monkeypatch.setitem(sys.modules, "recording_handlers", module)
    monkeypatch.setattr(jobs, "JOB_HANDLERS", {kind: "recording_handlers.handle" for kind in JobKind})
    return seen


def test_a_valid_notification_is_stored_before_the_200_and_processed_by_the_task(client, connector, handled, run_jobs):
    response = post(client, notification())

    assert response.status_code == 200
    assert response.json() == {"flow_control": {"type": "next"}}
    stored = HullNotification.objects.get()
    assert (stored.connector, stored.channel, stored.notification_id) == (
        connector, "user:update", "5864a24b-8c09-40e5-8cb9-d2f8fa4cb21c"
    )
    assert stored.message_count == 4
    messages = list(stored.messages.order_by("position"))
    assert [m.status for m in messages] == [MessageStatus.PENDING] * 4
    assert messages[0].entity == "user" and messages[0].hull_id == "5bd329d4e2bcf3eeaf00008d"
    assert messages[0].body["user"]["outreach/id"] == 10
    job = SyncJob.objects.get()
    assert (job.kind, job.status, job.notification) == (JobKind.OUTGOING, JobStatus.QUEUED, stored)
    assert handled == []  # nothing was processed inside the request

    run_jobs()

    assert handled == [[(m.position, m.body["message_id"]) for m in messages]]
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED


def test_segments_and_attributes_are_remembered_by_name(client, connector):
    post(client, notification())

    segments = {(s.entity, s.hull_id): s.name for s in SeenSegment.objects.filter(connector=connector)}
    assert segments[("user", "5bffc38f625718d58b000004")] == "Smugglers"
    assert segments[("account", "5bd7201aa682bc4a4d00001e")] == "Bad guys"
    names = set(SeenAttribute.objects.filter(connector=connector, entity="user").values_list("name", flat=True))
    assert {"outreach/id", "closeio/title", "email"} <= names
    assert not [n for n in names if n.startswith("traits_")]


def test_a_redelivered_notification_id_is_not_stored_or_processed_twice(client, connector, handled, run_jobs):
    assert post(client, notification()).status_code == 200
    run_jobs()

    again = post(client, notification())

    assert again.status_code == 200
    assert again.json() == {"flow_control": {"type": "next"}}
    assert HullNotification.objects.count() == 1
    assert HullMessage.objects.count() == 4
    assert SyncJob.objects.count() == 1
    run_jobs()
    assert len(handled) == 1


def test_an_export_notification_is_stored_as_an_export(client, connector):
    raw = json.loads((FIXTURES / "notifier-payloads" / "outgoing-user-batch-multiple-payload.json").read_text())
    response = post(
        client,
        {"notification_id": "export-1", "configuration": CONFIGURATION, "channel": "user:update", "is_export": True,
         "messages": raw},
    )
    assert response.status_code == 200
    stored = HullNotification.objects.get()
    assert stored.is_export is True
    assert all(m.body["is_export"] for m in stored.messages.all())


@pytest.mark.parametrize(
    "configuration",
    [
        {"id": HULL_ID, "organization": HULL_ORGANIZATION, "secret": "wrong"},
        {"id": "5c0fd68a1b0d2b1f0e999999", "organization": HULL_ORGANIZATION, "secret": HULL_SECRET},
        {"id": HULL_ID, "organization": "other.hullapp.io", "secret": HULL_SECRET},
        {"id": HULL_ID, "organization": HULL_ORGANIZATION},
        {},
    ],
    ids=["wrong secret", "unknown connector", "other organization", "no secret", "no configuration"],
)
def test_bad_credentials_answer_401_and_store_nothing(client, connector, configuration):
    response = post(client, notification(configuration=configuration))

    assert response.status_code == 401
    assert "error" in response.json()
    assert nothing_stored()


def test_credentials_in_the_query_are_not_enough_for_the_smart_notifier(client, connector):
    body = notification()
    del body["configuration"]
    response = client.post(
        f"/smart-notifier?ship={HULL_ID}&organization={HULL_ORGANIZATION}&secret={HULL_SECRET}",
        data=json.dumps(body), content_type="application/json",
    )
    assert response.status_code == 401
    assert nothing_stored()


def test_malformed_json_answers_400_and_stores_nothing(client, connector):
    response = post(client, b'{"channel": "user:update", ')
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert nothing_stored()


def test_a_body_that_is_not_a_notification_answers_400_naming_the_field(client, connector):
    response = post(client, notification(messages={"user": {}}))
    assert response.status_code == 400
    assert "messages: required, a list" in response.json()["error"]
    assert nothing_stored()


def test_a_body_above_the_limit_answers_413_and_stores_nothing(client, connector, settings):
    settings.HULL_MAX_BODY_BYTES = 1000
    response = post(client, notification())
    assert response.status_code == 413
    assert nothing_stored()


def test_an_unsupported_channel_answers_200_next(client, connector):
    response = post(client, notification(channel="user_report:update"))
    assert response.status_code == 200
    assert response.json() == {"flow_control": {"type": "next", "size": 10, "in": 5, "in_time": 10}}
    assert nothing_stored()


def test_ship_update_is_acknowledged_and_ignored(client, connector):
    response = post(client, notification(channel="ship:update", messages=[]))
    assert response.json() == {"flow_control": {"type": "next"}}
    assert nothing_stored()


def test_a_paused_connector_asks_hull_to_retry_and_stores_nothing(client, connector):
    connector.paused = True
    connector.save()

    response = post(client, notification())

    assert response.status_code == 200
    assert response.json()["flow_control"] == {"type": "retry", "size": 10, "in": 6000, "in_time": 10}
    assert response.json()["error"]["name"] == "ConfigurationError"
    assert "paused" in response.json()["error"]["message"]
    assert nothing_stored()


def test_a_connector_that_needs_reauthorization_asks_hull_to_retry(client, connector):
    connector.outreach_auth_status = AuthStatus.NEEDS_REAUTH
    connector.save()

    response = post(client, notification())

    assert response.json()["flow_control"]["type"] == "retry"
    assert "re-authorized" in response.json()["error"]["message"]
    assert nothing_stored()


def test_a_backlog_above_the_limit_answers_503_retry_and_the_redelivery_is_stored_later(client, connector, settings):
    settings.HULL_BACKLOG_LIMIT = 3
    post(client, notification(notification_id="first"))  # 4 pending messages now

    response = post(client, notification())

    assert response.status_code == 503
    assert response.json()["flow_control"] == {"type": "retry", "size": 10, "in": 1000, "in_time": 10}
    assert HullNotification.objects.count() == 1

    HullMessage.objects.update(status=MessageStatus.SUCCEEDED)
    assert post(client, notification()).status_code == 200
    assert HullNotification.objects.count() == 2
