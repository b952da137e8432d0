"""The Outreach side of the operator console: Test connection, Re-register webhook, the record count
for Fetch all's confirmation, the budget reader for the dashboards, and keeping webhooks registered.

The console reaches these through sync/console_hooks.py (wired in sync/console_wiring.py); the
calls to Outreach go through OutreachClient, with a short rate wait so a page never hangs on the budget.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from connectors.outreach.client import OutreachClient
from connectors.outreach.errors import OutreachError, OutreachForbidden, OutreachNotFound, OutreachUnauthorized
from connectors.outreach.oauth import SCOPES
from connectors.outreach.ratelimit import rate_budget_for
from connectors.outreach.webhooks import webhook_ensure, webhook_remove, webhook_url
from sync.choices import JobKind
from sync.models import Connector, SyncLog

logger = logging.getLogger(__name__)

# A console page waits this long for the rate budget at most, and retries a failing call once.
CONSOLE_MAX_RATE_WAIT_SECONDS = 5
# Scheduled upkeep: a webhook is checked again when its last check is older than this.
WEBHOOK_CHECK_EVERY = timedelta(hours=1)
# ... and a connector is handed to the upkeep task at most this often (a failing one is not spammed).
WEBHOOK_UPKEEP_CLAIM_SECONDS = 15 * 60

# What each required scope lets hullreach do, checked with one cheap read each.
SCOPE_PROBES = {
    "prospects.all": "prospect",
    "accounts.all": "account",
    "webhooks.all": "webhook",
    "users.read": "user",
    "stages.read": "stage",
}
FETCH_RESOURCES = {
    JobKind.FETCH_ACCOUNTS: ("account",),
    JobKind.FETCH_PROSPECTS: ("prospect",),
    JobKind.FETCH_ALL: ("account", "prospect"),
}


def console_client(connector: Connector) -> OutreachClient:
    return OutreachClient(connector, max_rate_wait_seconds=CONSOLE_MAX_RATE_WAIT_SECONDS, max_retries=1)


@dataclass
class Check:
    name: str
    ok: bool | None  # None: not checked (an earlier check failed)
    detail: str


@dataclass
class ConnectionReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool | None, detail: str) -> None:
        self.checks.append(Check(name=name, ok=ok, detail=detail))


def granted_scopes(*, connector: Connector) -> list[str] | None:
    """The scopes Outreach granted at the last authorization (None when it was not recorded)."""
    line = (
        SyncLog.objects.filter(connector=connector, event="connector.oauth.success")
        .order_by("-created_at", "-id")
        .only("payload")
        .first()
    )
    scope = ((line.payload or {}) if line else {}).get("scope")
    return scope.split() if isinstance(scope, str) and scope.strip() else None


def connector_connection_test(*, connector: Connector, client: OutreachClient | None = None) -> ConnectionReport:
    """Is the token valid, are the scopes there, how much budget is left, is our webhook active?"""
    report = ConnectionReport()
    if not connector.outreach_access_token and not connector.outreach_refresh_token:
        report.add("Token", False, "Not connected: use Connect / Re-authorize Outreach.")
        return report
    client = client or console_client(connector)

    missing, errors = [], []
    token_ok = True
    for scope, resource in SCOPE_PROBES.items():
        try:
            client.request("GET", f"{resource}s", params={"page[size]": 1, "count": "false"})
        except OutreachUnauthorized as exc:
            token_ok = False
            report.add("Token", False, f"Outreach refused the token: {exc}")
            break
        except OutreachForbidden:
            missing.append(scope)
        except OutreachError as exc:
            errors.append(f"{scope}: {exc}")
    if not token_ok:
        for name in ("Scopes", "Rate budget", "Webhook"):
            report.add(name, None, "Not checked: the token does not work.")
        return report
    expires = connector.outreach_token_expires_at
    report.add("Token", True, f"Valid (expires {expires:%Y-%m-%d %H:%M} UTC; refreshed automatically)." if expires else "Valid.")

    granted = granted_scopes(connector=connector)
    if missing:
        report.add("Scopes", False, f"Outreach refused reads that need {', '.join(missing)}: authorize again and grant them.")
    elif errors:
        report.add("Scopes", None, "Could not check every scope: " + "; ".join(errors))
    else:
        text = "Prospects, accounts, webhooks, users and stages can be read."
        if granted is not None:
            absent = [s for s in SCOPES if s not in granted]
            text += f" Granted: {' '.join(granted)}."
            if absent:
                text += f" Not granted (features that need them will fail): {', '.join(absent)}."
        report.add("Scopes", True, text)

    budget = connector_budget_used(connector=connector)
    if budget is None:
        report.add("Rate budget", None, "Unknown.")
    else:
        used, limit = budget
        report.add("Rate budget", used < limit, f"{limit - used:,} of {limit:,} requests left this hour ({used:,} used).")

    report.add("Webhook", *_webhook_check(connector=connector, client=client))
    return report


def _webhook_check(*, connector: Connector, client: OutreachClient) -> tuple[bool, str]:
    if not connector.outreach_webhook_id:
        return False, "Not registered: use Re-register webhook."
    try:
        hook = client.webhook_get(int(connector.outreach_webhook_id))
    except OutreachNotFound:
        return False, f"Webhook {connector.outreach_webhook_id} no longer exists in Outreach: use Re-register webhook."
    except OutreachError as exc:
        return False, f"Could not read webhook {connector.outreach_webhook_id}: {exc}"
    attributes = hook.get("attributes") or {}
    if attributes.get("url") != webhook_url(connector):
        return False, f"Webhook {hook['id']} points at {attributes.get('url')}, not here: use Re-register webhook."
    if attributes.get("active") is False or attributes.get("disabledUntil"):
        return False, f"Webhook {hook['id']} is disabled in Outreach: use Re-register webhook."
    return True, f"Webhook {hook['id']} is active and points at this connector."


def connector_record_count(*, connector: Connector, kind: str) -> int | None:
    """How many records a fetch of `kind` reads, from Outreach's `meta.count`; None when unknown."""
    resources = FETCH_RESOURCES.get(kind)
    if not resources or not connector.is_authorized:
        return None
    client = console_client(connector)
    total = 0
    for resource in resources:
        count = client.count(resource)
        if count is None:
            return None
        total += count
    return total


def connector_budget_used(*, connector: Connector) -> tuple[int, int] | None:
    """(requests used, limit) in the current hour. Outreach's own last headers win when they are from
    this window (they also count other integrations' requests); otherwise our workers' count."""
    budget = rate_budget_for(connector)
    used, limit, last = budget.usage()
    now = budget.clock.time()
    if last and last.get("remaining") is not None and last.get("reset_at") and last["reset_at"] > now:
        header_limit = last.get("limit") or limit
        return max(used, header_limit - last["remaining"]), header_limit
    return used, limit


def connector_webhook_reregister(*, connector: Connector) -> dict | None:
    """Staff asked: make sure our webhook is there and active (raises OutreachError)."""
    return webhook_ensure(connector=connector, client=console_client(connector))


def connector_webhook_remove(*, connector: Connector) -> str:
    """Before deleting a connector: take its webhook out of Outreach (best effort). Returns what happened."""
    try:
        removed = webhook_remove(connector=connector, client=console_client(connector))
    except OutreachError as exc:
        return f"Its Outreach webhook could not be removed ({exc}); remove it in Outreach if it is still there."
    return f"Its Outreach webhook was removed ({removed})." if removed else ""


def webhooks_due(*, now: datetime | None = None) -> list[Connector]:
    """Authorized, running connectors whose webhook was last checked over an hour ago (or never)."""
    now = now or timezone.now()
    due = []
    for connector in Connector.objects.filter(paused=False):
        if not connector.is_authorized:
            continue
        checked = connector.outreach_webhook_checked_at
        if checked is None or checked < now - WEBHOOK_CHECK_EVERY:
            due.append(connector)
    return due


def webhooks_upkeep_enqueue() -> int:
    """From the minute tick: hand each due connector to a worker (never calls Outreach itself)."""
    from django_q.tasks import async_task

    queued = 0
    for connector in webhooks_due():
        if not cache.add(f"webhook-upkeep:{connector.pk}", 1, timeout=WEBHOOK_UPKEEP_CLAIM_SECONDS):
            continue  # handed over recently; it is running, or failed and waits for the claim to lapse
        try:
            async_task("sync.console_outreach.connector_webhook_upkeep", connector.pk, task_name=f"webhook-{connector.pk}")
        except Exception:  # the broker is down: the next tick after the claim lapses tries again
            logger.exception("could not enqueue webhook upkeep for connector %s", connector.pk)
            continue
        queued += 1
    return queued


def connector_webhook_upkeep(connector_id: int) -> str:
    """django-q task: webhook_ensure for one connector. Failures are logged (connector.webhook.error)."""
    connector = Connector.objects.filter(pk=connector_id).first()
    if connector is None or not connector.is_authorized:
        return "skipped"
    try:
        hook = webhook_ensure(connector=connector, client=console_client(connector))
    except OutreachError as exc:
        return f"failed: {exc}"
    return f"webhook {hook['id']}" if hook else "no tokens"


def connector_import_provision(*, connector: Connector) -> str | None:
    """After an import that carried tokens (committed already): register the webhook.
    Returns the problem in words, or None. The import stands either way."""
    if not connector.outreach_access_token and not connector.outreach_refresh_token:
        return None
    try:
        webhook_ensure(connector=connector, client=console_client(connector))
    except OutreachError as exc:
        return f"the Outreach webhook could not be registered ({exc}); it is retried every hour"
    return None
