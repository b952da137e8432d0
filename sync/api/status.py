"""The connector's status as Hull expects it from /status (the original's glue.status, plus job health)."""

from sync.choices import AuthStatus, JobStatus
from sync.models import Connector, SyncJob

NOT_AUTHENTICATED = (
    "'Connector has not been authenticated. Please make sure to allow Hull to access your Outreach data by "
    'going to the "Settings" tab and clicking "Login to your Outreach account" in the "Connect to Outreach" '
    "section'"
)
NO_SEGMENTS = (
    "No data will be sent from Hull to Outreach.io because there are no whitelisted segments configured.  "
    "Please visit the connector settings page and add segments to be sent to Outreach.io."
)
REAUTHORIZE = "Outreach needs to be re-authorized: a staff member must connect Outreach again in hullreach."


def connector_hull_status(*, connector: Connector) -> dict:
    """{"status": "setupRequired" | "ok" | "error", "messages": [...]}."""
    if connector.outreach_auth_status == AuthStatus.NEEDS_REAUTH:
        reason = f"{REAUTHORIZE} ({connector.outreach_auth_error})" if connector.outreach_auth_error else REAUTHORIZE
        return {"status": "error", "messages": [reason]}
    if not connector.is_authorized:
        return {"status": "setupRequired", "messages": [NOT_AUTHENTICATED]}
    last = (
        SyncJob.objects.filter(connector=connector, status__in=(JobStatus.SUCCEEDED, JobStatus.FAILED))
        .order_by("-finished_at", "-id")
        .first()
    )
    if last is not None and last.status == JobStatus.FAILED:
        error = (last.error or "").split("\n", 1)[0]
        return {"status": "error", "messages": [f"The last job ({last.get_kind_display()}, #{last.pk}) failed: {error}"]}
    if not connector.synchronized_user_segments and not connector.synchronized_account_segments:
        return {"status": "ok", "messages": [NO_SEGMENTS]}
    return {"status": "ok", "messages": []}
