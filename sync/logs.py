"""SyncLog lines: Hull's log vocabulary, with secrets removed from payloads."""

from typing import Any

from django.utils import timezone

from sync.choices import Level
from sync.models import Connector, SyncJob, SyncLog
from sync.stats import sync_stat_increment

SECRET_KEYS = {
    "access_token",
    "refresh_token",
    "secret",
    "client_secret",
    "hull_secret",
    "webhook_secret",
    "password",
    "authorization",
    "hull-access-token",
    "token",
    "code",
}
REDACTED = "[redacted]"


def payload_redact(value: Any) -> Any:
    """A copy of `value` with every secret-looking key's value replaced."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and k.lower() in SECRET_KEYS and v else payload_redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [payload_redact(v) for v in value]
    return value


def sync_log(
    *,
    connector: Connector,
    event: str,
    message: str = "",
    level: str | None = None,
    job: SyncJob | None = None,
    hull_id: str | None = "",
    email: str | None = "",
    domain: str | None = "",
    outreach_id: int | str | None = None,
    payload: Any = None,
) -> SyncLog:
    if level is None:
        level = Level.ERROR if event.endswith(".error") else Level.INFO
    if outreach_id in ("", None):
        outreach_id = None
    else:
        try:
            outreach_id = int(outreach_id)
        except (TypeError, ValueError):
            outreach_id = None
    now = timezone.now()
    line = SyncLog.objects.create(
        connector=connector,
        created_at=now,
        job=job,
        event=event,
        level=level,
        hull_id=str(hull_id or "")[:64],
        email=(email or "").strip().lower()[:255],
        domain=(domain or "").strip().lower()[:255],
        outreach_id=outreach_id,
        message=message,
        payload=payload_redact(payload) if payload is not None else None,
    )
    # `*.success|skip|error` lines are also counted per hour, for the console's lists and charts.
    sync_stat_increment(connector_id=connector.pk, event=event, at=now)
    return line
