"""The Hull sandbox's own tables: an organization with users, accounts, segments, events, and a write log."""

import secrets

from django.db import models
from django.utils import timezone


def hull_object_id() -> str:
    """24 hex characters, like Hull's (Mongo ObjectId) ids."""
    return secrets.token_hex(12)


class Organization(models.Model):
    """A Hull organization with the one connector installed in it (Outreach is single-install)."""

    host = models.CharField(max_length=255, unique=True, help_text="e.g. acme.hullapp.io")
    connector_id = models.CharField(max_length=64, unique=True)
    connector_secret = models.CharField(max_length=255)
    # Where the notifier posts (the hullreach base URL) when the transport is real HTTP.
    connector_url = models.CharField(max_length=255, blank=True, default="http://localhost:8000")
    # Send notifications right after each firehose batch (the demo); tests call the notifier themselves.
    auto_notify = models.BooleanField(default=False)
    # Fault injection: HTTP statuses the next firehose requests answer with, one per request.
    firehose_faults = models.JSONField(default=list, blank=True)

    def __str__(self):
        return self.host


class Segment(models.Model):
    ENTITIES = (("user", "Users"), ("account", "Accounts"))

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="segments")
    hull_id = models.CharField(max_length=24, default=hull_object_id, unique=True)
    entity = models.CharField(max_length=10, choices=ENTITIES, default="user")
    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["entity", "name"]

    def __str__(self):
        return self.name


class Identified(models.Model):
    entity = ""  # "user" or "account", set by the subclasses

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.anonymous_ids_index = "|" + "|".join(self.anonymous_ids or []) + "|" if self.anonymous_ids else ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "anonymous_ids" in update_fields:
            kwargs["update_fields"] = [*update_fields, "anonymous_ids_index"]
        if hasattr(self, "email_key"):
            self.email_key = (self.email or "").strip().lower()
            if update_fields is not None and "email" in update_fields:
                kwargs["update_fields"] = [*kwargs["update_fields"], "email_key"]
        super().save(*args, **kwargs)
        if self.anonymous_ids and (update_fields is None or "anonymous_ids" in update_fields):
            # An indexed alias per anonymous id: looking one up must not scan every user.
            AnonymousId.objects.bulk_create(
                [
                    AnonymousId(organization_id=self.organization_id, entity=self.entity, value=value, object_id=self.pk)
                    for value in self.anonymous_ids
                ],
                ignore_conflicts=True,
            )


class Account(Identified):
    entity = "account"
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="accounts")
    hull_id = models.CharField(max_length=24, default=hull_object_id, unique=True)
    domain = models.CharField(max_length=255, blank=True, db_index=True)
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    anonymous_ids = models.JSONField(default=list, blank=True)
    # "|a|b|": lets identity resolution find an anonymous id with a plain LIKE on any database.
    anonymous_ids_index = models.TextField(blank=True, default="", editable=False)
    traits = models.JSONField(default=dict, blank=True)
    segments = models.ManyToManyField(Segment, blank=True, related_name="accounts")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        # Lookups are always within an organization: with one organization, an index on the
        # organization alone tempts SQLite's planner into scanning every account.
        indexes = [
            models.Index(fields=["organization", "domain"], name="sandbox_account_org_domain"),
            models.Index(fields=["organization", "external_id"], name="sandbox_account_org_extid"),
        ]

    def __str__(self):
        return self.domain or self.traits.get("name") or self.hull_id


class User(Identified):
    entity = "user"
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="users")
    hull_id = models.CharField(max_length=24, default=hull_object_id, unique=True)
    email = models.CharField(max_length=255, blank=True, db_index=True)
    # The email lowercased, for Hull's case-insensitive match through an index.
    email_key = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    anonymous_ids = models.JSONField(default=list, blank=True)
    anonymous_ids_index = models.TextField(blank=True, default="", editable=False)
    traits = models.JSONField(default=dict, blank=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="users")
    segments = models.ManyToManyField(Segment, blank=True, related_name="users")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["organization", "email_key"], name="sandbox_user_org_email"),
            models.Index(fields=["organization", "external_id"], name="sandbox_user_org_extid"),
        ]

    def __str__(self):
        return self.email or self.external_id or self.hull_id


class Event(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="events")
    event = models.CharField(max_length=255)
    properties = models.JSONField(default=dict, blank=True)
    event_id = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=64, blank=True)
    created_at = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]


class Write(models.Model):
    """Every firehose entry the sandbox received, in order, with what it did (for assertions)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="writes")
    type = models.CharField(max_length=10)  # traits | track
    subject_type = models.CharField(max_length=10)  # user | account
    as_user = models.JSONField(null=True, blank=True)
    as_account = models.JSONField(null=True, blank=True)
    body = models.JSONField(default=dict)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    @property
    def kind(self) -> str:
        """traits | track | link (a traits call with both claims and an empty body)."""
        if self.type == "traits" and self.as_user and self.as_account and not self.body:
            return "link"
        return self.type


class Pending(models.Model):
    """An entity changed since the last notification, with how it looked before (for `changes`)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="pending")
    entity = models.CharField(max_length=10)
    object_id = models.BigIntegerField()
    # None when the entity was created since the last notification (is_new).
    before = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "entity", "object_id"], name="sandbox_pending_unique")
        ]


class Export(models.Model):
    """A "Send to" selection served as a JSON-lines file for /batch (streamed, never built in memory)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="exports")
    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    entity = models.CharField(max_length=10)
    object_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)


class AnonymousId(models.Model):
    """Which user or account an anonymous id belongs to (Hull resolves claims by it)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    entity = models.CharField(max_length=10)
    value = models.CharField(max_length=255)
    object_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "entity", "value"], name="sandbox_anonymous_id_unique")
        ]
