from django.db import models


class Entity(models.TextChoices):
    USER = "user", "User / Prospect"
    ACCOUNT = "account", "Account"


class Direction(models.TextChoices):
    INCOMING = "incoming", "Outreach → Hull"
    OUTGOING = "outgoing", "Hull → Outreach"


class AuthStatus(models.TextChoices):
    NOT_CONNECTED = "not_connected", "Not connected"
    OK = "ok", "Connected"
    NEEDS_REAUTH = "needs_reauth", "Needs re-authorization"


class JobKind(models.TextChoices):
    OUTGOING = "outgoing", "Outgoing batch (Hull notification)"
    HULL_BATCH = "hull_batch", "Outgoing export (Hull /batch file)"
    WEBHOOK = "webhook", "Outreach webhook delivery"
    FETCH_ACCOUNTS = "fetch_accounts", "Fetch all accounts"
    FETCH_PROSPECTS = "fetch_prospects", "Fetch all prospects"
    FETCH_ALL = "fetch_all", "Fetch all (accounts, then prospects)"
    FETCH_RECENT = "fetch_recent", "Fetch recently changed"
    FETCH_EVENTS = "fetch_events", "Fetch historical events"
    FETCH_RECENT_EVENTS = "fetch_recent_events", "Fetch recent events"
    SEND_TO_OUTREACH = "send_to_outreach", "Send selected to Outreach"


INCOMING_KINDS = {
    JobKind.WEBHOOK,
    JobKind.FETCH_ACCOUNTS,
    JobKind.FETCH_PROSPECTS,
    JobKind.FETCH_ALL,
    JobKind.FETCH_RECENT,
    JobKind.FETCH_EVENTS,
    JobKind.FETCH_RECENT_EVENTS,
}


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    RETRYING = "retrying", "Waiting to retry"
    WAITING = "waiting", "Waiting for re-authorization"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.RETRYING, JobStatus.WAITING)


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class Level(models.TextChoices):
    DEBUG = "debug", "Debug"
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


# Hull's log vocabulary, exactly: staff search for these strings.
LOG_EVENTS = [
    f"{direction}.{subject}.{outcome}"
    for direction in ("outgoing", "incoming")
    for subject in ("user", "account", "event")
    for outcome in ("success", "skip", "error")
    if not (direction == "outgoing" and subject == "event")
] + [
    "outgoing.job.start",
    "outgoing.job.success",
    "outgoing.job.error",
    "incoming.job.start",
    "incoming.job.success",
    "incoming.job.error",
    "incoming.webhook.skip",
    "connector.oauth.success",
    "connector.oauth.error",
    "connector.webhook.success",
    "connector.webhook.error",
]
