"""POST /webhooks/outreach/<token>: verify, store, acknowledge. Nothing else happens in the request."""

import json
import logging

from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.outreach.webhooks import signature_verify
from sync.deliveries import DeliveryInvalid, delivery_store
from sync.logs import sync_log
from sync.models import Connector

logger = logging.getLogger(__name__)


class OutreachWebhookApi(APIView):
    # The signature covers the raw bytes: DRF must not parse the body before we verify it.
    parser_classes = []

    def post(self, request, token: str):
        raw = request.body
        connector = Connector.objects.filter(webhook_token=token).first()
        if connector is None:
            return Response({"error": "unknown webhook"}, status=404)
        secret = connector.outreach_webhook_secret
        if not secret or not signature_verify(raw, request.headers.get("Outreach-Webhook-Signature"), secret):
            logger.warning("outreach webhook with a missing or wrong signature for connector %s", connector.pk)
            return Response({"error": "missing or wrong Outreach-Webhook-Signature"}, status=401)
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return Response({"error": f"malformed JSON: {exc}"}, status=400)
        if connector.paused:
            sync_log(
                connector=connector,
                event="incoming.webhook.skip",
                level="info",
                message="Connector is paused, skipped",
                payload=body,
            )
            return Response({"message": "Connector is paused, skipped"})
        try:
            delivery, created = delivery_store(
                connector=connector,
                raw_body=raw,
                body=body,
                event_id=request.headers.get("Outreach-Webhook-Event-Id", ""),
            )
        except DeliveryInvalid as exc:
            return Response({"error": str(exc)}, status=400)
        return Response({"status": "accepted" if created else "duplicate", "delivery": delivery.pk})
