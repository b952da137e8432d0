import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone

from hullreach.fields import EncryptedTextField
from sync.choices import AuthStatus, Direction, Entity, JobKind, JobStatus, Level, MessageStatus


def default_user_claims():
    return [{"hull": "email", "service": "emails"}]


def default_account_claims():
    return [{"hull": "domain", "service": "domain"}]


class Connector(models.Model):
    """One Hull connector wired to one Outreach instance, with the original connector's settings."""

    name = models.SlugField(max_length=80, unique=True, help_text="A short name staff use for this customer.")

    # Hull side: the credentials Hull sends with every notification.
    hull_id = models.CharField("Hull connector id", max_length=64, unique=True)
    hull_organization = models.CharField(
        "Hull organization", max_length=255, help_text="The organization host, e.g. acme.hullapp.io."
    )
    hull_secret = EncryptedTextField("Hull connector secret", blank=True)

    # Outreach side.
    outreach_access_token = EncryptedTextField(blank=True)
    outreach_refresh_token = EncryptedTextField(blank=True)
    outreach_token_expires_at = models.DateTimeField(null=True, blank=True)
    outreach_auth_status = models.CharField(
        max_length=20, choices=AuthStatus.choices, default=AuthStatus.NOT_CONNECTED
    )
    outreach_auth_error = models.TextField(blank=True)
    outreach_webhook_id = models.CharField(max_length=64, blank=True)
    outreach_webhook_secret = EncryptedTextField(blank=True)
    outreach_webhook_checked_at = models.DateTimeField(null=True, blank=True)
    # The unguessable part of this connector's webhook URL (/webhooks/outreach/<token>).
    webhook_token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe, editable=False)

    paused = models.BooleanField(
        default=False, help_text="A paused connector takes no notifications or webhooks and runs no schedules."
    )

    # The original connector's private_settings, under their original names.
    user_claims = models.JSONField(default=default_user_claims, blank=True)
    account_claims = models.JSONField(default=default_account_claims, blank=True)
    synchronized_user_segments = models.JSONField(default=list, blank=True)
    synchronized_account_segments = models.JSONField(default=list, blank=True)
    link_users_in_hull = models.BooleanField(default=False)
    link_users_in_service = models.BooleanField(default=False)
    prospect_outgoing_user_segments = models.CharField(max_length=120, blank=True)
    prospect_outgoing_account_segments = models.CharField(max_length=120, blank=True)
    outgoing_account_segments = models.CharField(max_length=120, blank=True)
    events_to_fetch = models.JSONField(default=list, blank=True)

    # hullreach's own scheduling state.
    fetch_interval_minutes = models.PositiveIntegerField(
        default=5, help_text="How often recently changed prospects and accounts are fetched. 0 turns it off."
    )
    prospects_fetched_until = models.DateTimeField(null=True, blank=True)
    accounts_fetched_until = models.DateTimeField(null=True, blank=True)
    events_last_fetch_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_authorized(self) -> bool:
        return self.outreach_auth_status == AuthStatus.OK and bool(self.outreach_access_token)

    def attribute_mappings(self, entity: str, direction: str) -> list[dict]:
        """Mappings in the original's `{hull, service}` shape, in their configured order."""
        return [
            {"hull": m.hull, "service": m.service}
            for m in self.mappings.all()
            if m.entity == entity and m.direction == direction
        ]

    @property
    def incoming_user_attributes(self):
        return self.attribute_mappings(Entity.USER, Direction.INCOMING)

    @property
    def outgoing_user_attributes(self):
        return self.attribute_mappings(Entity.USER, Direction.OUTGOING)

    @property
    def incoming_account_attributes(self):
        return self.attribute_mappings(Entity.ACCOUNT, Direction.INCOMING)

    @property
    def outgoing_account_attributes(self):
        return self.attribute_mappings(Entity.ACCOUNT, Direction.OUTGOING)


class AttributeMapping(models.Model):
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="mappings")
    entity = models.CharField(max_length=10, choices=Entity.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    hull = models.CharField("Hull attribute", max_length=255)
    service = models.CharField("Outreach field", max_length=255)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["connector", "entity", "direction", "position", "id"]
        indexes = [models.Index(fields=["connector", "entity", "direction", "position"])]

    def __str__(self):
        arrow = "→" if self.direction == Direction.OUTGOING else "←"
        return f"{self.hull} {arrow} {self.service}"


class IdLink(models.Model):
    """What we know ties a Hull user/account to an Outreach prospect/account."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="links")
    entity = models.CharField(max_length=10, choices=Entity.choices)
    hull_id = models.CharField(max_length=64, blank=True, db_index=True)
    outreach_id = models.BigIntegerField()
    # The identity value used to find it: a normalised email for prospects, a domain for accounts.
    identity = models.CharField(max_length=255, blank=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    # The mapped Outreach values as Outreach last had them (from our writes and from reads), so a
    # write that would change nothing is skipped and a value that came from Outreach is not echoed.
    outreach_values = models.JSONField(default=dict, blank=True)
    values_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connector", "entity", "outreach_id"], name="idlink_unique_outreach_id")
        ]
        indexes = [
            models.Index(fields=["connector", "entity", "hull_id"]),
            models.Index(fields=["connector", "entity", "identity"]),
        ]

    def __str__(self):
        return f"{self.entity} {self.hull_id or '?'} ↔ outreach {self.outreach_id}"


class HullNotification(models.Model):
    """A batch Hull sent (smart-notifier, or a /batch export), stored before we answered 200."""

    class Source(models.TextChoices):
        SMART_NOTIFIER = "smart-notifier", "Smart notifier"
        BATCH = "batch", "Batch export file"

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="notifications")
    notification_id = models.CharField(max_length=128, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.SMART_NOTIFIER)
    channel = models.CharField(max_length=32)
    is_export = models.BooleanField(default=False)
    # For /batch: where Hull serves the file, downloaded by the job rather than in the request.
    url = models.TextField(blank=True)
    object_type = models.CharField(max_length=32, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "notification_id"],
                condition=~Q(notification_id=""),
                name="notification_unique_id",
            )
        ]

    def __str__(self):
        return f"{self.channel} {self.notification_id or self.pk}"


class HullMessage(models.Model):
    """One normalised message of a notification; its status lets a re-run resend only what failed."""

    notification = models.ForeignKey(HullNotification, on_delete=models.CASCADE, related_name="messages")
    position = models.PositiveIntegerField()
    entity = models.CharField(max_length=10, choices=Entity.choices)
    hull_id = models.CharField(max_length=64, blank=True, db_index=True)
    body = models.JSONField()
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["notification", "position"]
        indexes = [models.Index(fields=["notification", "status"])]


class OutreachDelivery(models.Model):
    """A webhook delivery from Outreach, stored before we answered 200."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=128, blank=True)
    body_sha256 = models.CharField(max_length=64)
    event_name = models.CharField(max_length=64, blank=True)
    resource_type = models.CharField(max_length=64, blank=True)
    resource_id = models.BigIntegerField(null=True, blank=True)
    body = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # One webhook job drains every pending delivery of its connector, so a burst costs one job.
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    error = models.TextField(blank=True)
    job = models.ForeignKey(
        "SyncJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="processed_deliveries"
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "Outreach deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "event_id"], condition=~Q(event_id=""), name="delivery_unique_event_id"
            )
        ]
        indexes = [
            models.Index(fields=["connector", "resource_type", "resource_id", "body_sha256"]),
            models.Index(fields=["connector", "status", "id"]),
        ]


class SeenSegment(models.Model):
    """Segments Hull has told us about, so staff choose them by name."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="seen_segments")
    entity = models.CharField(max_length=10, choices=Entity.choices)
    hull_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["entity", "name"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "entity", "hull_id"], name="seen_segment_unique")
        ]

    def __str__(self):
        return self.name


class SeenAttribute(models.Model):
    """Hull attributes seen in notifications, offered when staff edit mappings."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="seen_attributes")
    entity = models.CharField(max_length=10, choices=Entity.choices)
    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["entity", "name"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "entity", "name"], name="seen_attribute_unique")
        ]


class SyncJob(models.Model):
    """A unit of work staff can see and re-run. The broker only carries its id."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=24, choices=JobKind.choices)
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    succeeded = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.CharField(max_length=150, blank=True, help_text="Who or what started it.")
    notification = models.ForeignKey(
        HullNotification, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    delivery = models.ForeignKey(
        OutreachDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    rerun_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns")
    # Input for jobs without a stored notification or delivery (fetch options, ids to send).
    params = models.JSONField(default=dict, blank=True)
    # Where a resumable job got to (a fetch's cursor and counts), saved after every page.
    checkpoint = models.JSONField(default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["connector", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["connector", "kind", "status"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} ({self.status})"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class SyncLog(models.Model):
    """A log line in Hull's vocabulary (`incoming.user.error`, ...), the staff's main evidence."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="logs")
    job = models.ForeignKey(SyncJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs")
    created_at = models.DateTimeField(default=timezone.now)
    event = models.CharField(max_length=40)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    hull_id = models.CharField(max_length=64, blank=True)
    email = models.CharField(max_length=255, blank=True)
    domain = models.CharField(max_length=255, blank=True)
    outreach_id = models.BigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    payload = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["connector", "event", "-created_at"], name="synclog_conn_event_time"),
            models.Index(fields=["connector", "-created_at"], name="synclog_conn_time"),
            models.Index(fields=["created_at"], name="synclog_time"),
            models.Index(fields=["email"], name="synclog_email"),
            models.Index(fields=["domain"], name="synclog_domain"),
            models.Index(fields=["hull_id"], name="synclog_hull_id"),
            models.Index(fields=["outreach_id"], name="synclog_outreach_id"),
        ]

    def __str__(self):
        return f"{self.event} {self.email or self.domain or self.outreach_id or ''}".strip()


class SyncStat(models.Model):
    """Hourly rollup of SyncLog outcomes, kept by `sync_log`, so the console never scans SyncLog.

    One row per (connector, hour, direction, entity, outcome); `count` is incremented atomically
    and `last_at` is the time of the newest line counted, which gives "last synced" to the second.
    """

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="stats")
    hour = models.DateTimeField(help_text="The start of the hour (UTC) the lines were written in.")
    direction = models.CharField(max_length=10)
    entity = models.CharField(max_length=10)
    outcome = models.CharField(max_length=10)
    count = models.PositiveBigIntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        ordering = ["connector", "hour"]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "hour", "direction", "entity", "outcome"], name="syncstat_unique_key"
            )
        ]
        indexes = [
            models.Index(fields=["hour"], name="syncstat_hour"),
            models.Index(fields=["connector", "outcome", "direction", "-last_at"], name="syncstat_conn_last"),
        ]

    def __str__(self):
        return f"{self.connector_id} {self.hour:%Y-%m-%d %H:00} {self.direction}.{self.entity}.{self.outcome}={self.count}"


class IdentityLock(models.Model):
    """Held while the outgoing sync looks a new prospect or account up in Outreach and creates it.

    A row with a unique key, so two workers (threads or processes, SQLite or PostgreSQL) never create
    the same prospect twice. `expires_at` frees the lock of a worker that died holding it.
    """

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="identity_locks")
    entity = models.CharField(max_length=10, choices=Entity.choices)
    identity = models.CharField(max_length=255)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connector", "entity", "identity"], name="identity_lock_unique")
        ]

    def __str__(self):
        return f"{self.entity} {self.identity} (held by {self.holder})"


class SentOutreachEvent(models.Model):
    """An Outreach event (by its id) already sent to Hull as a track, so the recent poll's overlap, a
    webhook-then-poll pair or a re-run fetch do not send it again. Kept for `events.SENT_RETENTION`
    after the event happened; Hull's own event_id dedupe covers anything older."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="sent_events")
    outreach_event_id = models.BigIntegerField()
    event_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connector", "outreach_event_id"], name="sentevent_unique_per_connector")
        ]
        indexes = [models.Index(fields=["connector", "event_at"], name="sentevent_conn_event_at")]

    def __str__(self):
        return f"{self.connector_id} event {self.outreach_event_id}"
