import json

import pytest

from connectors.hull.sandbox import views as sandbox_views
from connectors.hull.sandbox.models import User
from sync import notifications
from sync.choices import JobKind, MessageStatus
from sync.errors import JobRetry
from sync.models import HullMessage, HullNotification, SyncJob
from sync.notifications import notification_batch_materialise
from tests.conftest import HULL_ID, HULL_ORGANIZATION, HULL_SECRET

pytestmark = pytest.mark.django_db

QUERY = f"ship={HULL_ID}&organization={HULL_ORGANIZATION}&secret={HULL_SECRET}"


def many_users(hull, count):
    account = hull.account(domain="bluth.com", traits={"name": "Bluth Company"})
    smugglers = hull.segment("Smugglers")
    User.objects.bulk_create(
        User(organization=hull.organization, email=f"user{n}@bluth.com", traits={"outreach/id": n}, account=account)
        for n in range(count)
    )
    users = hull.users()
    users[0].segments.add(smugglers)
    return users, smugglers


def test_a_batch_is_stored_and_queued_at_once_and_its_file_is_read_by_the_job(client, connector, hull):
    users, smugglers = many_users(hull, 3)

    status, answer = hull.batch(users=users, segment_id=smugglers.hull_id)

    assert (status, answer) == (200, {"flow_control": {"type": "next"}})
    notification = HullNotification.objects.get()
    assert notification.source == HullNotification.Source.BATCH
    assert notification.is_export and notification.object_type == "user_report"
    assert notification.messages.count() == 0  # nothing downloaded inside the request
    job = SyncJob.objects.get()
    assert job.kind == JobKind.HULL_BATCH and job.params == {"segment_id": smugglers.hull_id}

    assert notification_batch_materialise(notification) == 3

    messages = list(notification.messages.order_by("position"))
    assert [m.body["user"]["email"] for m in messages] == ["user0@bluth.com", "user1@bluth.com", "user2@bluth.com"]
    first = messages[0].body
    assert first["user"]["outreach/id"] == 0  # traits_ stripped
    assert first["account"]["domain"] == "bluth.com"
    assert first["segments"] == [{"id": smugglers.hull_id, "name": "Smugglers"}]
    assert first["is_export"] is True
    assert messages[0].hull_id == users[0].hull_id


def test_batch_accounts_become_account_messages(client, connector, hull):
    bad_guys = hull.segment("Bad guys", entity="account")
    account = hull.account(domain="darksideinc.com", traits={"outreach/id": 20}, segments=[bad_guys])

    hull.batch(accounts=[account])
    notification = HullNotification.objects.get()
    notification_batch_materialise(notification)

    [message] = notification.messages.all()
    assert message.entity == "account"
    assert message.body["account"]["outreach/id"] == 20
    assert message.body["account_segments"] == [{"id": bad_guys.hull_id, "name": "Bad guys"}]


def test_batch_needs_credentials_and_a_url(client, connector):
    body = json.dumps({"url": "https://x/y.json", "format": "json", "object_type": "user_report"})
    assert client.post("/batch?ship=x&organization=y&secret=z", data=body, content_type="application/json").status_code == 401
    bad = client.post(f"/batch?{QUERY}", data=json.dumps({"format": "json"}), content_type="application/json")
    assert bad.status_code == 400 and "url: required" in bad.json()["error"]
    csv = json.dumps({"url": "https://x/y.csv", "format": "csv"})
    assert client.post(f"/batch?{QUERY}", data=csv, content_type="application/json").status_code == 400
    assert not HullNotification.objects.exists() and not SyncJob.objects.exists()


def test_a_redelivered_batch_is_stored_once(client, connector):
    body = json.dumps({"url": "https://x/y.json", "format": "json", "object_type": "user_report",
                       "notification_id": "user:extract:1"})
    for _ in range(2):
        response = client.post(f"/batch?{QUERY}", data=body, content_type="application/json")
        assert response.status_code == 200
    assert HullNotification.objects.count() == 1 and SyncJob.objects.count() == 1


def test_a_10000_line_export_is_streamed_in_chunks_not_read_whole(client, connector, hull, monkeypatch):
    users, _ = many_users(hull, 10_000)
    produced = {"lines": 0}
    original = sandbox_views.export_lines

    def counting(export):
        for line in original(export):
            produced["lines"] += 1
            yield line

    monkeypatch.setattr(sandbox_views, "export_lines", counting)
    lines_when_committed = []
    remember = notifications.attributes_remember

    def spy(**kwargs):
        lines_when_committed.append(produced["lines"])
        return remember(**kwargs)

    monkeypatch.setattr(notifications, "attributes_remember", spy)
    hull.batch(users=users)
    notification = HullNotification.objects.get()

    assert notification_batch_materialise(notification) == 10_000

    assert notification.messages.count() == 10_000
    assert len(lines_when_committed) == 20  # 500 lines a commit
    # The first rows were stored while the download had barely started.
    assert lines_when_committed[0] < 1_000


def test_materialising_again_after_a_crash_does_not_duplicate_rows(client, connector, hull, monkeypatch):
    users, _ = many_users(hull, 1_000)
    hull.batch(users=users)
    notification = HullNotification.objects.get()
    remember = notifications.attributes_remember
    calls = {"n": 0}

    def crash_on_the_fourth_commit(**kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("worker died")
        return remember(**kwargs)

    monkeypatch.setattr(notifications, "attributes_remember", crash_on_the_fourth_commit)
    with pytest.raises(RuntimeError):
        notification_batch_materialise(notification, chunk_size=100)
    assert notification.messages.count() == 300

    monkeypatch.setattr(notifications, "attributes_remember", remember)
    notification.refresh_from_db()
    assert notification_batch_materialise(notification, chunk_size=100) == 1_000

    positions = list(notification.messages.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1_000))
    emails = [m.body["user"]["email"] for m in notification.messages.order_by("position")]
    assert emails == [f"user{n}@bluth.com" for n in range(1_000)]
    # Finished: a third run does not download again.
    hull.adapter.requests.clear()
    assert notification_batch_materialise(notification) == 1_000
    assert hull.adapter.requests == []


def test_a_line_that_is_not_json_becomes_a_failed_message_naming_the_line(client, connector, hull, monkeypatch):
    def broken(export):
        yield b'{"id": "u1", "email": "a@b.co"}\n'
        yield b"{not json\n"
        yield b'{"id": "u2", "email": "c@d.co"}\n'

    monkeypatch.setattr(sandbox_views, "export_lines", broken)
    hull.batch(users=[])
    notification = HullNotification.objects.get()

    assert notification_batch_materialise(notification) == 3

    statuses = list(notification.messages.order_by("position").values_list("status", "error"))
    assert statuses[0] == (MessageStatus.PENDING, "")
    assert statuses[1][0] == MessageStatus.FAILED and statuses[1][1].startswith("line 2: invalid JSON")
    assert statuses[2] == (MessageStatus.PENDING, "")


def test_an_export_file_that_cannot_be_downloaded_makes_the_job_retry(client, connector, hull):
    notification = HullNotification.objects.create(
        connector=connector, source=HullNotification.Source.BATCH, channel="user:update", is_export=True,
        url="https://hull-exports.sandbox.test/sandbox/hull/exports/missing.json", object_type="user_report",
    )
    with pytest.raises(JobRetry, match="HTTP 404"):
        notification_batch_materialise(notification)
    assert not HullMessage.objects.exists()
