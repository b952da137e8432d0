"""Webhook signatures and provisioning of the connector's webhook."""

import json

import pytest

from connectors.outreach.webhooks import signature_verify, webhook_ensure, webhook_url
from sync.models import Connector, SyncLog


@pytest.fixture
def delivered(connector, outreach):
    """A signed delivery the sandbox made for a prospect update, and the secret it used."""
    prospect = outreach.prospect_add(emails=["luke@tatooine.com"], firstName="Luke")
    webhook_ensure(connector=connector)
    outreach.change("prospect", prospect["id"], {"title": "Jedi Knight"})
    return outreach.deliveries[-1], Connector.objects.get(pk=connector.pk).outreach_webhook_secret


def test_it_accepts_a_delivery_signed_by_outreach(delivered):
    delivery, secret = delivered

    assert signature_verify(delivery.body, delivery.headers["Outreach-Webhook-Signature"], secret)


def test_it_rejects_a_changed_byte(delivered):
    delivery, secret = delivered
    tampered = delivery.body.replace(b"Jedi", b"Sith")

    assert not signature_verify(tampered, delivery.headers["Outreach-Webhook-Signature"], secret)


def test_it_rejects_a_wrong_secret_and_a_missing_header(delivered):
    delivery, secret = delivered

    assert not signature_verify(delivery.body, delivery.headers["Outreach-Webhook-Signature"], secret + "x")
    assert not signature_verify(delivery.body, None, secret)
    assert not signature_verify(delivery.body, "", secret)


def test_it_registers_one_webhook_with_a_secret_and_reuses_it(connector, outreach, settings):
    first = webhook_ensure(connector=connector)
    second = webhook_ensure(connector=Connector.objects.get(pk=connector.pk))

    assert first["id"] == second["id"]
    assert len(outreach.requests_to("POST", "/webhooks")) == 1
    stored = Connector.objects.get(pk=connector.pk)
    hook = outreach.get("webhook", first["id"])["attributes"]
    assert hook["url"] == f"{settings.PUBLIC_URL}/webhooks/outreach/{connector.webhook_token}"
    assert hook["secret"] == stored.outreach_webhook_secret and len(stored.outreach_webhook_secret) == 64
    assert SyncLog.objects.filter(connector=connector, event="connector.webhook.success").count() == 1
    assert stored.outreach_webhook_secret not in json.dumps(list(SyncLog.objects.values_list("payload", flat=True)))


def test_it_deletes_stale_webhooks_of_this_connector_and_leaves_others_alone(connector, outreach):
    stale = outreach.webhook_add(url=webhook_url(connector), secret="old")
    foreign = outreach.webhook_add(url="https://someone-else.example/hook")

    ours = webhook_ensure(connector=connector)

    assert sorted(h["id"] for h in outreach.all("webhook")) == sorted([foreign["id"], ours["id"]])
    assert stale["id"] not in [h["id"] for h in outreach.all("webhook")]


def test_it_recreates_a_webhook_that_was_deleted_or_disabled(connector, outreach):
    first = webhook_ensure(connector=connector)
    outreach.store["webhook"].pop(first["id"])
    second = webhook_ensure(connector=Connector.objects.get(pk=connector.pk))
    outreach.get("webhook", second["id"])["attributes"]["active"] = False

    third = webhook_ensure(connector=Connector.objects.get(pk=connector.pk))

    assert len({first["id"], second["id"], third["id"]}) == 3
    assert [h["id"] for h in outreach.all("webhook")] == [third["id"]]


def test_a_connector_without_tokens_gets_no_webhook(connector, outreach):
    Connector.objects.filter(pk=connector.pk).update(outreach_access_token="", outreach_refresh_token="")

    assert webhook_ensure(connector=Connector.objects.get(pk=connector.pk)) is None
    assert outreach.requests == []


def test_a_delivery_carries_only_changed_attributes_and_flat_relationships(delivered, connector, outreach):
    delivery, _ = delivered
    account = outreach.account_add(name="Rebels", domain="rebels.org")

    outreach.change("prospect", 1, {"title": "Jedi Knight"}, {"account": account["id"]})

    body = outreach.deliveries[-1].json
    assert body["data"]["attributes"].keys() == {"updatedAt"}
    assert body["data"]["relationships"] == {"account": {"type": "account", "id": account["id"]}}
    assert delivery.json["data"]["attributes"].keys() == {"title", "updatedAt"}
    assert delivery.json["meta"]["eventName"] == "prospect.updated"
    assert delivery.headers["Outreach-Webhook-Id"] == Connector.objects.get(pk=connector.pk).outreach_webhook_id
