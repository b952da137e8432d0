import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from sync.choices import JobKind, JobStatus
from sync.models import OutreachDelivery, SyncJob, SyncLog

from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "outreach-webhook-secret-acme"


@pytest.fixture
def hooked(connector):
    connector.outreach_webhook_id = "31"
    connector.outreach_webhook_secret = WEBHOOK_SECRET
    connector.save()
    return connector


def fixture_body(name: str) -> bytes:
    return (FIXTURES / "webhook-payloads" / name).read_bytes()


def deliver(client, connector, raw: bytes, *, secret=WEBHOOK_SECRET, signature=None, event_id=None):
    headers = {"content_type": "application/vnd.api+json"}
    if signature is None and secret is not None:
        signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if signature is not None:
        headers["HTTP_OUTREACH_WEBHOOK_SIGNATURE"] = signature
    if event_id:
        headers["HTTP_OUTREACH_WEBHOOK_EVENT_ID"] = event_id
    url = reverse("outreach-webhook", args=[connector.webhook_token])
    return client.post(url, data=raw, **headers)


def test_a_signed_delivery_is_stored_and_queued_before_the_200(client, hooked):
    response = deliver(client, hooked, fixture_body("prospect-created.json"), event_id="e-1")

    assert response.status_code == 200
    delivery = OutreachDelivery.objects.get()
    assert (delivery.resource_type, delivery.resource_id, delivery.event_name) == ("prospect", 3, "prospect.created")
    assert delivery.event_id == "e-1"
    assert SyncJob.objects.get().kind == JobKind.WEBHOOK


def test_an_unsigned_delivery_is_refused_and_nothing_is_stored(client, hooked):
    response = deliver(client, hooked, fixture_body("prospect-created.json"), secret=None)

    assert response.status_code == 401
    assert not OutreachDelivery.objects.exists()
    assert not SyncJob.objects.exists()


def test_a_tampered_delivery_is_refused(client, hooked):
    raw = fixture_body("prospect-updated.json")
    signature = hmac.new(WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    tampered = raw.replace(b"Tattooine", b"Tatooine!")

    assert deliver(client, hooked, tampered, signature=signature).status_code == 401
    assert not OutreachDelivery.objects.exists()


def test_a_delivery_signed_with_another_secret_is_refused(client, hooked):
    assert deliver(client, hooked, fixture_body("prospect-updated.json"), secret="someone-else").status_code == 401
    assert not OutreachDelivery.objects.exists()


def test_an_unknown_webhook_path_is_not_found(client, hooked):
    url = reverse("outreach-webhook", args=["not-a-connector"])
    assert client.post(url, data=b"{}", content_type="application/json").status_code == 404


def test_malformed_json_with_a_valid_signature_is_a_400(client, hooked):
    response = deliver(client, hooked, b'{"data": {"type": "prospect"')

    assert response.status_code == 400
    assert "malformed JSON" in response.json()["error"]
    assert not OutreachDelivery.objects.exists()


def test_json_that_is_not_a_webhook_payload_is_a_400(client, hooked):
    response = deliver(client, hooked, json.dumps({"hello": "world"}).encode())

    assert response.status_code == 400
    assert not OutreachDelivery.objects.exists()


def test_a_duplicate_event_id_is_recognised_and_stored_once(client, hooked):
    raw = fixture_body("prospect-updated.json")
    first = deliver(client, hooked, raw, event_id="e-7")
    second = deliver(client, hooked, raw, event_id="e-7")

    assert first.json()["status"] == "accepted"
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    assert OutreachDelivery.objects.count() == 1


def test_the_same_body_for_the_same_resource_without_an_event_id_is_a_duplicate(client, hooked):
    raw = fixture_body("prospect-updated.json")
    deliver(client, hooked, raw)
    assert deliver(client, hooked, raw).json()["status"] == "duplicate"
    assert OutreachDelivery.objects.count() == 1


def test_a_burst_of_deliveries_queues_one_job(client, hooked):
    for name in ("prospect-created.json", "prospect-updated.json", "account-updated.json"):
        assert deliver(client, hooked, fixture_body(name)).status_code == 200

    assert OutreachDelivery.objects.count() == 3
    assert SyncJob.objects.filter(kind=JobKind.WEBHOOK, status=JobStatus.QUEUED).count() == 1


def test_other_resources_are_acknowledged_and_kept(client, hooked):
    response = deliver(client, hooked, fixture_body("mailing-delivered.json"))

    assert response.status_code == 200
    assert OutreachDelivery.objects.get().resource_type == "mailing"


def test_a_paused_connector_acknowledges_stores_nothing_and_says_so(client, hooked):
    hooked.paused = True
    hooked.save()

    response = deliver(client, hooked, fixture_body("prospect-updated.json"))

    assert response.status_code == 200
    assert response.json() == {"message": "Connector is paused, skipped"}
    assert not OutreachDelivery.objects.exists()
    assert SyncLog.objects.get().event == "incoming.webhook.skip"
