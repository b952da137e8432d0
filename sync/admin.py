"""The operator console (first version): connectors, mappings, jobs and logs."""

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from hullreach.crypto import secret_mask
from sync.jobs import job_rerun
from sync.models import (
    AttributeMapping,
    Connector,
    HullMessage,
    HullNotification,
    IdLink,
    OutreachDelivery,
    SeenAttribute,
    SeenSegment,
    SyncJob,
    SyncLog,
)


class NoCountPaginator(Paginator):
    """Paginate a million rows without COUNT(*): staff page forward, they never need the total."""

    @cached_property
    def count(self):
        return 1_000_000_000


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AttributeMappingInline(admin.TabularInline):
    model = AttributeMapping
    extra = 0
    fields = ("entity", "direction", "hull", "service", "position")
    ordering = ("entity", "direction", "position")


class ConnectorForm(forms.ModelForm):
    new_hull_secret = forms.CharField(
        label="Hull connector secret",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the stored secret. It is stored encrypted and never shown again.",
    )

    class Meta:
        model = Connector
        exclude = ("hull_secret", "outreach_access_token", "outreach_refresh_token", "outreach_webhook_secret")

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("new_hull_secret"):
            self.add_error("new_hull_secret", "A new connector needs the Hull connector secret.")
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("new_hull_secret"):
            self.instance.hull_secret = self.cleaned_data["new_hull_secret"]
        return super().save(commit)


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    form = ConnectorForm
    inlines = [AttributeMappingInline]
    list_display = ("name", "hull_organization", "auth_status_", "paused", "webhook_", "updated_at")
    list_filter = ("outreach_auth_status", "paused")
    search_fields = ("name", "hull_organization", "hull_id")
    readonly_fields = (
        "hull_secret_",
        "outreach_connect_",
        "outreach_auth_status",
        "outreach_auth_error",
        "outreach_token_expires_at",
        "outreach_access_token_",
        "outreach_refresh_token_",
        "outreach_webhook_id",
        "outreach_webhook_secret_",
        "webhook_token",
        "prospects_fetched_until",
        "accounts_fetched_until",
        "events_last_fetch_at",
    )
    fieldsets = (
        (None, {"fields": ("name", "paused", "fetch_interval_minutes")}),
        ("Hull", {"fields": ("hull_id", "hull_organization", "hull_secret_", "new_hull_secret")}),
        (
            "Connect with Outreach",
            {
                "fields": (
                    "outreach_connect_",
                    "outreach_auth_status",
                    "outreach_auth_error",
                    "outreach_token_expires_at",
                    "outreach_access_token_",
                    "outreach_refresh_token_",
                    "outreach_webhook_id",
                    "outreach_webhook_secret_",
                )
            },
        ),
        ("User identity", {"fields": ("user_claims",)}),
        ("Users from Outreach", {"fields": ("link_users_in_hull", "prospects_fetched_until")}),
        (
            "Users to Outreach",
            {
                "fields": (
                    "synchronized_user_segments",
                    "prospect_outgoing_user_segments",
                    "prospect_outgoing_account_segments",
                    "link_users_in_service",
                )
            },
        ),
        ("Account identity", {"fields": ("account_claims",)}),
        ("Accounts from Outreach", {"fields": ("accounts_fetched_until",)}),
        ("Accounts to Outreach", {"fields": ("synchronized_account_segments", "outgoing_account_segments")}),
        ("Events", {"fields": ("events_to_fetch", "events_last_fetch_at")}),
    )

    @admin.display(description="Outreach")
    def auth_status_(self, obj):
        colour = {"ok": "green", "needs_reauth": "#ba2121"}.get(obj.outreach_auth_status, "#666")
        return format_html('<b style="color:{}">{}</b>', colour, obj.get_outreach_auth_status_display())

    @admin.display(description="Webhook")
    def webhook_(self, obj):
        return "registered" if obj.outreach_webhook_id else "none"

    @admin.display(description="Outreach")
    def outreach_connect_(self, obj):
        if not obj or not obj.pk:
            return "Save the connector first."
        label = "Re-authorize Outreach" if obj.outreach_access_token else "Connect Outreach"
        return format_html('<a class="button" href="{}">{}</a>', reverse("outreach:oauth-start", args=[obj.pk]), label)

    @admin.display(description="Hull connector secret")
    def hull_secret_(self, obj):
        return secret_mask(obj.hull_secret)

    @admin.display(description="Access token")
    def outreach_access_token_(self, obj):
        return secret_mask(obj.outreach_access_token)

    @admin.display(description="Refresh token")
    def outreach_refresh_token_(self, obj):
        return secret_mask(obj.outreach_refresh_token)

    @admin.display(description="Webhook secret")
    def outreach_webhook_secret_(self, obj):
        return secret_mask(obj.outreach_webhook_secret)


@admin.register(AttributeMapping)
class AttributeMappingAdmin(admin.ModelAdmin):
    list_display = ("connector", "entity", "direction", "hull", "service", "position")
    list_filter = ("connector", "entity", "direction")
    search_fields = ("hull", "service")
    list_select_related = ("connector",)


@admin.register(IdLink)
class IdLinkAdmin(ReadOnlyAdmin):
    list_display = ("connector", "entity", "hull_id", "outreach_id", "identity", "last_pushed_at", "last_pulled_at")
    list_filter = ("connector", "entity")
    search_fields = ("=hull_id", "=identity", "=outreach_id")
    list_select_related = ("connector",)
    paginator = NoCountPaginator


class HullMessageInline(admin.TabularInline):
    model = HullMessage
    extra = 0
    fields = ("position", "entity", "hull_id", "status", "attempts", "error")
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(HullNotification)
class HullNotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "connector", "source", "channel", "notification_id", "is_export", "message_count", "received_at")
    list_filter = ("connector", "source", "channel", "is_export")
    search_fields = ("=notification_id",)
    list_select_related = ("connector",)
    inlines = [HullMessageInline]
    paginator = NoCountPaginator


@admin.register(OutreachDelivery)
class OutreachDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "connector", "event_name", "resource_type", "resource_id", "event_id", "received_at")
    list_filter = ("connector", "resource_type", "event_name")
    search_fields = ("=event_id", "=resource_id")
    list_select_related = ("connector",)
    paginator = NoCountPaginator


@admin.register(SeenSegment)
class SeenSegmentAdmin(ReadOnlyAdmin):
    list_display = ("name", "entity", "hull_id", "connector", "last_seen_at")
    list_filter = ("connector", "entity")
    search_fields = ("name", "=hull_id")


@admin.register(SeenAttribute)
class SeenAttributeAdmin(ReadOnlyAdmin):
    list_display = ("name", "entity", "connector")
    list_filter = ("connector", "entity")
    search_fields = ("name",)


@admin.register(SyncJob)
class SyncJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "connector", "kind", "status_", "progress_", "succeeded", "skipped", "failed", "attempts", "started_by", "created_at", "duration")
    list_filter = ("connector", "kind", "status", "created_at")
    search_fields = ("=id", "started_by", "error")
    list_select_related = ("connector",)
    paginator = NoCountPaginator
    actions = ("rerun",)

    @admin.display(description="Status", ordering="status")
    def status_(self, obj):
        colour = {"failed": "#ba2121", "succeeded": "green", "running": "#205067"}.get(obj.status, "#666")
        return format_html('<b style="color:{}">{}</b>', colour, obj.get_status_display())

    @admin.display(description="Progress")
    def progress_(self, obj):
        if obj.progress_total:
            return f"{obj.progress_done} / {obj.progress_total}"
        return obj.progress_done or ""

    @admin.action(description="Re-run selected jobs")
    def rerun(self, request, queryset):
        jobs = [job_rerun(job, started_by=f"admin:{request.user.get_username()}") for job in queryset]
        self.message_user(request, f"Queued {len(jobs)} new attempt(s).", messages.SUCCESS)


class EventFilter(admin.SimpleListFilter):
    title = "event"
    parameter_name = "event"

    def lookups(self, request, model_admin):
        from sync.choices import LOG_EVENTS

        return [(e, e) for e in LOG_EVENTS]

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.register(SyncLog)
class SyncLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "connector", "event", "level", "subject_", "message_", "job_")
    list_filter = ("connector", EventFilter, "level", "created_at")
    search_fields = ()
    list_select_related = ("connector",)
    paginator = NoCountPaginator

    def get_search_results(self, request, queryset, search_term):
        """Exact matches on indexed columns only: fast on millions of rows."""
        term = search_term.strip()
        if not term:
            return queryset, False
        q = Q(email=term.lower()) | Q(domain=term.lower()) | Q(hull_id=term)
        if term.isdigit():
            q |= Q(outreach_id=int(term))
        return queryset.filter(q), False

    def get_search_fields(self, request):
        return ("email",)  # shows the search box; the lookup itself is get_search_results

    @admin.display(description="Subject")
    def subject_(self, obj):
        return obj.email or obj.domain or (f"outreach {obj.outreach_id}" if obj.outreach_id else obj.hull_id)

    @admin.display(description="Message")
    def message_(self, obj):
        return obj.message[:160]

    @admin.display(description="Job")
    def job_(self, obj):
        if not obj.job_id:
            return ""
        return format_html('<a href="{}">#{}</a>', reverse("admin:sync_syncjob_change", args=[obj.job_id]), obj.job_id)
