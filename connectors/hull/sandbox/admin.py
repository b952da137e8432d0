"""Admin pages for the Hull sandbox (only when SANDBOX_ENABLED): see, edit and send users and accounts.

Edits made here are recorded like edits in Hull: "Notify the connector" sends user:update /
account:update with the changes; "Send to" sends the selection as an export.
"""

import json

from django.conf import settings
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from connectors.hull.sandbox.identity import pending_mark
from connectors.hull.sandbox.models import Account, Event, Organization, Segment, User, Write
from connectors.hull.sandbox.notifier import Notifier

EVENTS_SHOWN = 100


def _report(modeladmin, request, answers) -> None:
    failed = [(status, answer) for status, answer in answers if status != 200]
    if failed:
        modeladmin.message_user(request, f"The connector answered: {failed[:3]}", messages.ERROR)
    else:
        modeladmin.message_user(request, f"Sent {len(answers)} request(s); the connector answered 200.")


def _by_organization(queryset):
    groups: dict[int, list] = {}
    for obj in queryset.select_related("organization").order_by("id"):
        groups.setdefault(obj.organization_id, []).append(obj)
    return [(objs[0].organization, objs) for objs in groups.values()]


class EditRecordingAdmin(admin.ModelAdmin):
    entity = ""

    def save_model(self, request, obj, form, change):
        if change:
            # Snapshot the stored version before this edit, so the notification shows [old, new].
            pending_mark(obj.organization, self.entity, type(obj).objects.get(pk=obj.pk))
            super().save_model(request, obj, form, change)
        else:
            super().save_model(request, obj, form, change)
            pending_mark(obj.organization, self.entity, obj, created=True)

    def _notify(self, request, organizations):
        answers = []
        for organization in organizations:
            notifier = Notifier(organization)
            notifier.notify()
            answers += [(status, answer) for _, _, status, answer in notifier.sent]
        _report(self, request, answers)

    @admin.action(description="Notify the connector of the changes (user:update / account:update)")
    def notify_changes(self, request, queryset):
        self._notify(request, {o.organization for o in queryset.select_related("organization")})

    def _send(self, request, queryset, *, as_file: bool):
        answers = []
        for organization, objects in _by_organization(queryset):
            notifier = Notifier(organization)
            if as_file:
                answers.append(
                    notifier.batch(
                        entity=self.entity,
                        object_ids=[o.pk for o in objects],
                        base_url=f"{settings.PUBLIC_URL}/sandbox/hull",
                    )
                )
            else:
                (notifier.export_users if self.entity == "user" else notifier.export_accounts)(objects)
                answers += [(status, answer) for _, _, status, answer in notifier.sent]
        _report(self, request, answers)

    @admin.action(description="Send selected to the connector (Send to: export notification)")
    def send_export(self, request, queryset):
        self._send(request, queryset, as_file=False)

    @admin.action(description="Send selected to the connector as a /batch file")
    def send_batch(self, request, queryset):
        self._send(request, queryset, as_file=True)

    actions = ["notify_changes", "send_export", "send_batch"]


class SandboxUserAdmin(EditRecordingAdmin):
    entity = "user"
    list_display = ("email", "external_id", "anonymous_ids", "account", "segment_names", "traits", "updated_at")
    list_filter = ("organization", "segments")
    search_fields = ("email", "external_id", "hull_id", "anonymous_ids_index")
    filter_horizontal = ("segments",)
    raw_id_fields = ("account",)
    readonly_fields = ("hull_id", "created_at", "updated_at", "events_")
    fields = ("organization", "hull_id", "email", "external_id", "anonymous_ids", "traits", "account", "segments",
              "created_at", "updated_at", "events_")

    @admin.display(description="Segments")
    def segment_names(self, obj):
        return ", ".join(s.name for s in obj.segments.all())

    @admin.display(description="Events (newest first)")
    def events_(self, obj):
        """The user's tracked events, as on a Hull user's page (read-only: no formset to post)."""
        if obj is None or obj.pk is None:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            (
                (e.created_at, e.event, e.event_id, e.source, json.dumps(e.properties, sort_keys=True)[:500])
                for e in obj.events.order_by("-id")[:EVENTS_SHOWN]
            ),
        )
        if not rows:
            return "No events."
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            "created_at", "event", "event_id", "source", "properties",
        )
        return format_html("<table>{}{}</table>", head, rows)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account").prefetch_related("segments")


class SandboxAccountAdmin(EditRecordingAdmin):
    entity = "account"
    list_display = ("domain", "external_id", "anonymous_ids", "segment_names", "traits", "updated_at")
    list_filter = ("organization", "segments")
    search_fields = ("domain", "external_id", "hull_id", "anonymous_ids_index")
    filter_horizontal = ("segments",)
    readonly_fields = ("hull_id", "created_at", "updated_at")
    fields = ("organization", "hull_id", "domain", "external_id", "anonymous_ids", "traits", "segments",
              "created_at", "updated_at")

    @admin.display(description="Segments")
    def segment_names(self, obj):
        return ", ".join(s.name for s in obj.segments.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("segments")


class SandboxOrganizationAdmin(admin.ModelAdmin):
    list_display = ("host", "connector_id", "connector_url", "auto_notify")
    exclude = ("firehose_faults",)


class SandboxSegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "entity", "organization", "hull_id")
    list_filter = ("entity", "organization")


class SandboxWriteAdmin(admin.ModelAdmin):
    list_display = ("received_at", "type", "subject_type", "as_user", "as_account", "body")
    list_filter = ("type", "subject_type")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SandboxEventAdmin(SandboxWriteAdmin):
    list_display = ("received_at", "event", "user", "event_id", "source", "properties")
    list_filter = ("event",)


def sandbox_admin_register(site: admin.AdminSite) -> None:
    site.register(Organization, SandboxOrganizationAdmin)
    site.register(User, SandboxUserAdmin)
    site.register(Account, SandboxAccountAdmin)
    site.register(Segment, SandboxSegmentAdmin)
    site.register(Write, SandboxWriteAdmin)
    site.register(Event, SandboxEventAdmin)


if settings.SANDBOX_ENABLED:
    sandbox_admin_register(admin.site)
