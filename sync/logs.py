"""SyncLog lines: Hull's log vocabulary, with secrets removed from payloads."""

from collections import Counter
from typing import Any

from django.db import transaction
from django.utils import timezone

from sync.choices import Level
from sync.models import Connector, SyncJob, SyncLog
from sync.stats import hour_floor, sync_stat_increment

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


def sync_log_line(
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
    at=None,
) -> SyncLog:
    """A log line, not yet saved: `sync_logs_save` writes many in one go."""
    if level is None:
        level = Level.ERROR if event.endswith(".error") else Level.INFO
    if outreach_id in ("", None):
        outreach_id = None
    else:
        try:
            outreach_id = int(outreach_id)
        except (TypeError, ValueError):
            outreach_id = None
    return SyncLog(
        connector=connector,
        created_at=at or timezone.now(),
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


def sync_logs_save(lines: list[SyncLog]) -> None:
    """Save log lines and count them in the hourly rollup, in one transaction (a fetch page, a batch)."""
    if not lines:
        return
    counts, last = Counter(), {}
    for line in lines:
        key = (line.connector_id, line.event, hour_floor(line.created_at))
        counts[key] += 1
        last[key] = max(last.get(key, line.created_at), line.created_at)
    with transaction.atomic():
        SyncLog.objects.bulk_create(lines, batch_size=500)
        # `*.success|skip|error` lines are also counted per hour, for the console's lists and charts.
        for key, count in counts.items():
            connector_id, event, _hour = key
            sync_stat_increment(connector_id=connector_id, event=event, at=last[key], by=count)


def sync_log(**fields) -> SyncLog:
    """Write one log line now (see `sync_log_line` for the fields)."""
    line = sync_log_line(**fields)
    sync_logs_save([line])
    return line
