"""Outreach webhooks: verify their signature, and keep this connector's webhook registered.

Outreach signs each delivery with `Outreach-Webhook-Signature`: the lowercase hex HMAC-SHA256 of
the raw request body keyed with the webhook's secret. Verify the raw bytes, never a re-serialisation.
"""

import hashlib
import hmac
import logging
import secrets

from django.conf import settings
from django.utils import timezone

from connectors.outreach.errors import OutreachError, OutreachNotFound
from sync.choices import Level
from sync.logs import sync_log
from sync.models import Connector

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Outreach-Webhook-Signature"


def signature_compute(raw_body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def signature_verify(raw_body: bytes, header: str | None, secret: str) -> bool:
    """True when `header` is the HMAC-SHA256 of exactly these bytes under `secret` (constant time)."""
    if not header or not secret:
        return False
    return hmac.compare_digest(signature_compute(raw_body, secret), header.strip().lower())


def webhook_url(connector: Connector) -> str:
    return f"{settings.PUBLIC_URL}/webhooks/outreach/{connector.webhook_token}"


def _is_usable(hook: dict) -> bool:
    attributes = hook.get("attributes") or {}
    return attributes.get("active", True) is not False and not attributes.get("disabledUntil")


def webhook_ensure(*, connector: Connector, client=None) -> dict | None:
    """Make sure exactly one active webhook of ours points at this connector's URL.

    Reuses ours when it is there and active; deletes other (stale) webhooks with this connector's
    URL; creates a new one with a fresh random secret otherwise. Webhooks pointing elsewhere are
    never touched. Returns our webhook (None for a connector without tokens).
    """
    from connectors.outreach.client import OutreachClient

    if not connector.outreach_access_token and not connector.outreach_refresh_token:
        return None
    client = client or OutreachClient(connector)
    url = webhook_url(connector)
    try:
        hooks = [h for h in client.webhooks_list() if (h.get("attributes") or {}).get("url") == url]
        ours = None
        for hook in hooks:
            if (
                ours is None
                and str(hook["id"]) == str(connector.outreach_webhook_id)
                and connector.outreach_webhook_secret
                and _is_usable(hook)
            ):
                ours = hook
                continue
            try:
                client.webhook_delete(hook["id"])
            except OutreachNotFound:
                pass
        created = ours is None
        if created:
            secret = secrets.token_hex(32)
            ours = client.webhook_create(url=url, secret=secret)
            connector.outreach_webhook_id = str(ours["id"])
            connector.outreach_webhook_secret = secret
        connector.outreach_webhook_checked_at = timezone.now()
        connector.save(update_fields=["outreach_webhook_id", "outreach_webhook_secret", "outreach_webhook_checked_at"])
    except OutreachError as exc:
        sync_log(
            connector=connector,
            event="connector.webhook.error",
            level=Level.ERROR,
            message=f"Could not register the Outreach webhook: {exc}",
        )
        raise
    if created:
        sync_log(
            connector=connector,
            event="connector.webhook.success",
            message="Outreach webhook registered",
            payload={"webhook_id": ours["id"]},
        )
    return ours


def webhook_remove(*, connector: Connector, client=None) -> int:
    """Before a connector is deleted: remove every webhook pointing at its URL. Returns how many."""
    from connectors.outreach.client import OutreachClient

    if not connector.outreach_access_token and not connector.outreach_refresh_token:
        return 0
    client = client or OutreachClient(connector)
    url = webhook_url(connector)
    removed = 0
    for hook in client.webhooks_list():
        if (hook.get("attributes") or {}).get("url") == url:
            try:
                client.webhook_delete(hook["id"])
            except OutreachNotFound:
                continue
            removed += 1
    return removed
