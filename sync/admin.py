"""The operator console: connectors, mappings, jobs, logs, timelines and dashboards.

Views and actions stay thin: they call sync.console_actions, sync.jobs, sync.selectors and
sync.dashboard, and report counts. Pages for many rows never count or scan SyncLog.
"""

import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.timesince import timesince, timeuntil

from hullreach.crypto import secret_mask
from sync import console_actions, console_hooks
from sync.admin_help import HELP, SECTION_HELP
from sync.admin_widgets import ChoicesOrJsonWidget, ClaimsField, SegmentIdsField, SuggestInput, datalist_html
from sync.choices import AuthStatus, JobKind, JobStatus, LOG_EVENTS
from sync.dashboard import dashboard_series, legend_html
from sync.jobs import job_rerun
from sync.mapping_checks import mapping_problems
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
from sync.outreach_catalog import outreach_fields
from sync.selectors import connector_list_annotated, subject_links, subject_log_filter, subject_timeline
from sync.settings_io import CLAIM_SETTINGS, EVENT_NAMES

PROBLEM = "color:#ba2121;font-weight:bold"
OK = "color:#2e7d32"
QUIET = "color:#666"


def _badge(style: str, text: str, title: str = ""):
    return format_html('<span style="{}" title="{}">{}</span>', style, title, text)


def _can_operate(request) -> bool:
    """Buttons that change something: staff allowed to change connectors."""
    return request.user.is_active and request.user.is_staff and request.user.has_perm("sync.change_connector")


def _started_by(request) -> str:
    return f"admin:{request.user.get_username()}"


class NoCountPaginator(Paginator):
    """Paginate a million rows without counting them all: the count stops at COUNT_CAP (a COUNT over
    a LIMITed subquery, bounded work on any table); past it, staff narrow by connector, event or time."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self):
        return self.object_list.order_by()[: self.COUNT_CAP].count()


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------- mappings


def _field_options(entity: str, direction: str) -> list[tuple[str, str]]:
    """Outreach fields for a picker: only writable ones for outgoing; read-only ones marked."""
    options = []
    for f in outreach_fields(entity=entity):
        if direction == "outgoing" and f.read_only:
            continue
        options.append((f.name, f"{f.label} (read-only)" if f.read_only else f.label))
    return options


def mapping_datalists(connector: Connector | None) -> str:
    """One <datalist> per picker; the inline's inputs point at them (see the change form's script)."""
    lists = []
    for entity in ("user", "account"):
        for direction in ("incoming", "outgoing"):
            lists.append(datalist_html(f"dl-outreach-{entity}-{direction}", _field_options(entity, direction)))
        seen = []
        if connector is not None and connector.pk:
            seen = list(connector.seen_attributes.filter(entity=entity).values_list("name", flat=True)[:2000])
        lists.append(datalist_html(f"dl-hull-{entity}", [(n, n) for n in seen]))
    return "".join(str(x) for x in lists)


class MappingForm(forms.ModelForm):
    class Meta:
        model = AttributeMapping
        fields = ("entity", "direction", "hull", "service", "position")
        widgets = {
            "hull": forms.TextInput(attrs={"size": 28, "autocomplete": "off", "data-picker": "hull"}),
            "service": forms.TextInput(attrs={"size": 24, "autocomplete": "off", "data-picker": "outreach"}),
            "position": forms.NumberInput(attrs={"style": "width:4em"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        entity = self.initial.get("entity") or self.instance.entity or "user"
        direction = self.initial.get("direction") or self.instance.direction or "outgoing"
        # Without JavaScript the row keeps the pickers of its saved entity and direction.
        self.fields["hull"].widget.attrs["list"] = f"dl-hull-{entity}"
        self.fields["service"].widget.attrs["list"] = f"dl-outreach-{entity}-{direction}"
        self.fields["hull"].help_text = ""
        self.fields["service"].help_text = ""


class MappingFormSet(BaseInlineFormSet):
    """Refuses mappings that cannot work; keeps the warnings for the page to show after saving."""

    warnings: list[str] = []

    def clean(self):
        super().clean()
        self.warnings = []
        forms_by_row, rows = [], []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("hull") or not data.get("service"):
                continue
            forms_by_row.append(form)
            rows.append({k: data[k] for k in ("entity", "direction", "hull", "service")})
        for problem in mapping_problems(rows=rows):
            if problem.level == "error":
                forms_by_row[problem.index].add_error(problem.field, problem.reason)
            else:
                self.warnings.append(problem.reason)


class AttributeMappingInline(admin.TabularInline):
    model = AttributeMapping
    form = MappingForm
    formset = MappingFormSet
    extra = 1
    fields = ("entity", "direction", "hull", "service", "position")
    ordering = ("entity", "direction", "position")
    verbose_name = "attribute mapping"
    verbose_name_plural = (
        "Attribute mappings: Outreach → Hull (incoming) and Hull → Outreach (outgoing), per user and account"
    )


# ---------------------------------------------------------------- connector form


class ConnectorForm(forms.ModelForm):
    new_hull_secret = forms.CharField(
        label="Hull connector secret",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the stored secret. It is stored encrypted and never shown again.",
    )
    user_claims = ClaimsField(
        hull_allowed=CLAIM_SETTINGS["user_claims"][0],
        service_allowed=CLAIM_SETTINGS["user_claims"][1],
        service_suggestions=["emails", "externalId", "firstName", "lastName", "githubUsername", "linkedInId",
                             "stackOverflowId", "title", "twitterUsername"],
        label="User identity",
    )
    account_claims = ClaimsField(
        hull_allowed=CLAIM_SETTINGS["account_claims"][0],
        service_allowed=CLAIM_SETTINGS["account_claims"][1],
        service_suggestions=[],
        label="Account identity",
    )
    synchronized_user_segments = SegmentIdsField(required=False, label="User segments sent to Outreach")
    synchronized_account_segments = SegmentIdsField(required=False, label="Account segments sent to Outreach")
    events_to_fetch = forms.MultipleChoiceField(
        choices=list(EVENT_NAMES.items()), required=False, widget=ChoicesOrJsonWidget, label="Events to fetch"
    )

    class Meta:
        model = Connector
        exclude = ("hull_secret", "outreach_access_token", "outreach_refresh_token", "outreach_webhook_secret")
        widgets = {
            "prospect_outgoing_user_segments": SuggestInput(),
            "prospect_outgoing_account_segments": SuggestInput(),
            "outgoing_account_segments": SuggestInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, text in HELP.items():
            if name in self.fields:
                self.fields[name].help_text = text
        for name, entity in (("synchronized_user_segments", "user"), ("synchronized_account_segments", "account")):
            seen = []
            if self.instance.pk:
                seen = list(self.instance.seen_segments.filter(entity=entity).values_list("hull_id", "name"))
            self.fields[name].widget.segments = seen
        prospect_out = _field_options("user", "outgoing")
        for name in ("prospect_outgoing_user_segments", "prospect_outgoing_account_segments"):
            self.fields[name].widget.options = prospect_out
        self.fields["outgoing_account_segments"].widget.options = _field_options("account", "outgoing")

    def clean_events_to_fetch(self):
        return list(self.cleaned_data.get("events_to_fetch") or [])

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("new_hull_secret"):
            self.add_error("new_hull_secret", "A new connector needs the Hull connector secret.")
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("new_hull_secret"):
            self.instance.hull_secret = self.cleaned_data["new_hull_secret"]
        return super().save(commit)


# ---------------------------------------------------------------- connectors


def _section(title, fields):
    return (title, {"fields": fields, "description": SECTION_HELP.get(title, "")})


# The "Connect with Outreach" section: all of it is shown, none of it is typed in.
OUTREACH_CONNECTION_FIELDS = (
    "outreach_connect_",
    "outreach_auth_status",
    "outreach_auth_error",
    "outreach_token_expires_at",
    "outreach_access_token_",
    "outreach_refresh_token_",
    "webhook_state_",
    "outreach_webhook_secret_",
)


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    form = ConnectorForm
    inlines = [AttributeMappingInline]
    change_form_template = "admin/sync/connector/change_form.html"
    list_display = (
        "name",
        "outreach_",
        "webhook_",
        "paused_",
        "last_incoming_",
        "last_outgoing_",
        "errors_24h_",
        "jobs_waiting_",
        "links_",
    )
    list_filter = ("outreach_auth_status", "paused")
    search_fields = ("name", "hull_organization", "hull_id")
    actions = ("fetch_all_accounts", "fetch_all_prospects", "fetch_all", "fetch_recent", "pause", "resume")

    def delete_model(self, request, obj):
        # Outreach would go on delivering webhooks to a URL that now answers 404.
        said = console_hooks.connector_cleanup(connector=obj)
        super().delete_model(request, obj)
        if said:
            self.message_user(request, f"{obj.name}: {said}")

    def delete_queryset(self, request, queryset):
        for connector in queryset:
            self.delete_model(request, connector)

    readonly_fields = OUTREACH_CONNECTION_FIELDS + (
        "hull_secret_",
        "webhook_token",
        "prospects_fetched_until",
        "accounts_fetched_until",
        "events_last_fetch_at",
    )
    fieldsets = (
        (None, {"fields": ("name", "paused", "fetch_interval_minutes")}),
        ("Hull", {"fields": ("hull_id", "hull_organization", "hull_secret_", "new_hull_secret")}),
        _section("Connect with Outreach", OUTREACH_CONNECTION_FIELDS),
        _section("User identity", ("user_claims",)),
        _section("Users from Outreach", ("link_users_in_hull", "prospects_fetched_until")),
        _section(
            "Users to Outreach",
            (
                "synchronized_user_segments",
                "prospect_outgoing_user_segments",
                "prospect_outgoing_account_segments",
                "link_users_in_service",
            ),
        ),
        _section("Account identity", ("account_claims",)),
        _section("Accounts from Outreach", ("accounts_fetched_until",)),
        _section("Accounts to Outreach", ("synchronized_account_segments", "outgoing_account_segments")),
        _section("Events", ("events_to_fetch", "events_last_fetch_at")),
    )

    def get_queryset(self, request):
        return connector_list_annotated(super().get_queryset(request))

    # -- list columns

    @admin.display(description="Outreach authorization", ordering="outreach_auth_status")
    def outreach_(self, obj):
        if obj.outreach_auth_status == AuthStatus.NEEDS_REAUTH:
            return _badge(PROBLEM, "⚠ needs re-authorization", obj.outreach_auth_error)
        if obj.outreach_auth_status == AuthStatus.NOT_CONNECTED or not obj.outreach_access_token:
            return _badge(PROBLEM, "⚠ not connected")
        expires = obj.outreach_token_expires_at
        if expires is None:
            return _badge(OK, "✔ ok")
        if expires <= timezone.now():
            if obj.outreach_refresh_token:
                return _badge(OK, "✔ ok", f"token expired {expires:%Y-%m-%d %H:%M} UTC; it is refreshed on next use")
            return _badge(PROBLEM, "⚠ token expired, no refresh token")
        return format_html(
            '{} <small style="{}">token expires in {}</small>', _badge(OK, "✔ ok"), QUIET, timeuntil(expires)
        )

    @admin.display(description="Webhook")
    def webhook_(self, obj):
        checked = obj.outreach_webhook_checked_at
        when = f"checked {timesince(checked)} ago" if checked else "never checked"
        if not obj.outreach_webhook_id:
            style = PROBLEM if obj.outreach_auth_status == AuthStatus.OK else QUIET
            return format_html('{} <small style="{}">{}</small>', _badge(style, "⚠ not registered"), QUIET, when)
        return format_html('{} <small style="{}">{}</small>', _badge(OK, "✔ registered"), QUIET, when)

    @admin.display(description="Paused", ordering="paused")
    def paused_(self, obj):
        return _badge(PROBLEM, "⏸ paused") if obj.paused else _badge(QUIET, "running")

    def _last(self, at):
        if at is None:
            return _badge(QUIET, "never")
        stale = timezone.now() - at > timedelta(days=1)
        return _badge(PROBLEM if stale else OK, f"{timesince(at)} ago", f"{at:%Y-%m-%d %H:%M:%S} UTC")

    @admin.display(description="Last synced from Outreach", ordering="last_incoming_at")
    def last_incoming_(self, obj):
        return self._last(obj.last_incoming_at)

    @admin.display(description="Last synced to Outreach", ordering="last_outgoing_at")
    def last_outgoing_(self, obj):
        return self._last(obj.last_outgoing_at)

    @admin.display(description="Errors (24 h)", ordering="errors_24h")
    def errors_24h_(self, obj):
        if not obj.errors_24h:
            return _badge(OK, "0")
        url = reverse("admin:sync_synclog_changelist") + "?" + urlencode(
            {"connector__id__exact": obj.pk, "level__exact": "error"}
        )
        noun = "error" if obj.errors_24h == 1 else "errors"
        return format_html('<a href="{}" style="{}">⚠ {} {}</a>', url, PROBLEM, obj.errors_24h, noun)

    @admin.display(description="Jobs waiting", ordering="jobs_waiting")
    def jobs_waiting_(self, obj):
        url = reverse("admin:sync_syncjob_changelist") + "?" + urlencode({"connector__id__exact": obj.pk})
        running = f", {obj.jobs_running} running" if obj.jobs_running else ""
        return format_html('<a href="{}">{} waiting{}</a>', url, obj.jobs_waiting, running)

    @admin.display(description="")
    def links_(self, obj):
        return format_html(
            '<a href="{}">dashboard</a>', reverse("admin:sync_connector_dashboard", args=[obj.pk])
        )

    # -- change page fields

    @admin.display(description="Outreach sign-in")
    def outreach_connect_(self, obj):
        tools = console_hooks.connector_tools_for(obj, section="connect") if obj.pk else []
        if not tools:
            return "No Outreach sign-in is installed in this hullreach yet."
        return format_html(
            " ".join('<a class="button" href="{}" title="{}">{}</a>' for _ in tools),
            *[x for label, url, help_text in tools for x in (url, help_text, label)],
        )

    @admin.display(description="Webhook")
    def webhook_state_(self, obj):
        return self.webhook_(obj) if obj.pk else "—"

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

    # -- change page context, saving

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["mapping_datalists"] = mapping_datalists(obj)
        context["connector_tools"] = self._tools(request, obj) if obj else []
        if obj is not None:
            rows = [
                {"entity": m.entity, "direction": m.direction, "hull": m.hull, "service": m.service}
                for m in obj.mappings.all()
            ]
            context["mapping_warnings"] = [p.reason for p in mapping_problems(rows=rows)]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _tools(self, request, obj):
        """(label, url, method) of the buttons on top of the connector page. Cheap fetches POST at once;
        costly ones open their confirmation page."""
        tools = [("Dashboard", reverse("admin:sync_connector_dashboard", args=[obj.pk]), "get")]
        if _can_operate(request):
            for kind in console_actions.FETCH_KINDS:
                method = "get" if kind in console_actions.COSTLY_FETCH_KINDS else "post"
                tools.append((JobKind(kind).label, reverse("admin:sync_connector_fetch", args=[obj.pk, kind]), method))
            tools.append(("Send to Outreach", reverse("admin:sync_connector_send", args=[obj.pk]), "get"))
            tools.append(
                ("Resume" if obj.paused else "Pause", reverse("admin:sync_connector_pause", args=[obj.pk]), "post")
            )
            tools += [(label, url, "get") for label, url, _ in console_hooks.connector_tools_for(obj, section="tools")]
        tools.append(("Jobs", reverse("admin:sync_syncjob_changelist") + f"?connector__id__exact={obj.pk}", "get"))
        tools.append(("Logs", reverse("admin:sync_synclog_changelist") + f"?connector__id__exact={obj.pk}", "get"))
        return tools

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for warning in getattr(formset, "warnings", []):
            self.message_user(request, f"Mapping warning: {warning}", messages.WARNING)

    # -- per-connector pages

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("dashboard/", wrap(self.overview_view), name="sync_dashboard"),
            path("<int:pk>/dashboard/", wrap(self.dashboard_view), name="sync_connector_dashboard"),
            path("<int:pk>/fetch/<str:kind>/", wrap(self.fetch_view), name="sync_connector_fetch"),
            path("<int:pk>/send/", wrap(self.send_view), name="sync_connector_send"),
            path("<int:pk>/pause/", wrap(self.pause_view), name="sync_connector_pause"),
        ] + super().get_urls()

    def _connector(self, request, pk, *, operate=False):
        if not self.has_view_permission(request) or (operate and not _can_operate(request)):
            raise PermissionDenied
        return get_object_or_404(Connector, pk=pk)

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    def fetch_view(self, request, pk, kind):
        connector = self._connector(request, pk, operate=True)
        if kind not in console_actions.FETCH_KINDS:
            raise PermissionDenied("not a fetch")
        label = JobKind(kind).label
        costly = kind in console_actions.COSTLY_FETCH_KINDS
        if request.method == "POST" and (request.POST.get("confirm") == "yes" or not costly):
            job = console_actions.connector_fetch_start(connector=connector, kind=kind, started_by=_started_by(request))
            self.message_user(request, f"{label} started for {connector}: job #{job.pk}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:sync_syncjob_change", args=[job.pk]))
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        estimates = [(connector, console_actions.fetch_estimate(connector=connector, kind=kind))]
        return TemplateResponse(
            request,
            "admin/sync/confirm_fetch.html",
            self._context(request, f"{label}: are you sure?", kind=kind, label=label, estimates=estimates,
                          connectors=[connector], costly=costly, original=connector),
        )

    def send_view(self, request, pk):
        connector = self._connector(request, pk, operate=True)
        text, error = "", ""
        if request.method == "POST":
            text = request.POST.get("targets", "")
            try:
                job = console_actions.connector_send_to_outreach(
                    connector=connector, text=text, started_by=_started_by(request)
                )
            except ValueError as exc:
                error = str(exc)
            else:
                p = job.params
                self.message_user(
                    request,
                    f"Sending {len(p['hull_ids'])} Hull id(s) and {len(p['emails'])} email(s) to Outreach: job #{job.pk}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:sync_syncjob_change", args=[job.pk]))
        return TemplateResponse(
            request,
            "admin/sync/send_to_outreach.html",
            self._context(request, f"Send to Outreach: {connector}", original=connector, text=text, error=error),
        )

    def pause_view(self, request, pk):
        connector = self._connector(request, pk, operate=True)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        paused = not connector.paused
        console_actions.connector_pause_set(connector=connector, paused=paused)
        self.log_change(request, connector, "Paused" if paused else "Resumed")
        self.message_user(
            request, f"Connector {connector} {'paused' if paused else 'resumed'}.", messages.SUCCESS
        )
        return HttpResponseRedirect(reverse("admin:sync_connector_change", args=[connector.pk]))

    def dashboard_view(self, request, pk):
        connector = self._connector(request, pk)
        return self._dashboard(request, connector)

    def overview_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._dashboard(request, None)

    def _dashboard(self, request, connector):
        series = dashboard_series(connector=connector)
        budget = console_hooks.budget_used(connector=connector) if connector else None
        connectors = [] if connector else list(connector_list_annotated().order_by("name"))
        return TemplateResponse(
            request,
            "admin/sync/dashboard.html",
            self._context(
                request,
                f"Dashboard: {connector}" if connector else "Dashboard: all connectors",
                connector=connector,
                original=connector,
                series=series,
                legend=legend_html(),
                budget=budget,
                connectors=connectors,
            ),
        )

    # -- list actions

    def _fetch_action(self, request, queryset, kind):
        label = JobKind(kind).label
        if kind in console_actions.COSTLY_FETCH_KINDS and request.POST.get("confirm") != "yes":
            estimates = [(c, console_actions.fetch_estimate(connector=c, kind=kind)) for c in queryset]
            return TemplateResponse(
                request,
                "admin/sync/confirm_fetch.html",
                self._context(request, f"{label}: are you sure?", kind=kind, label=label, estimates=estimates,
                              connectors=list(queryset), costly=True, action=request.POST.get("action"),
                              action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME),
            )
        jobs = [
            console_actions.connector_fetch_start(connector=c, kind=kind, started_by=_started_by(request))
            for c in queryset
        ]
        self.message_user(request, f"{label}: started {len(jobs)} job(s).", messages.SUCCESS)
        return None

    @admin.action(description="Fetch all accounts (confirm)", permissions=["change"])
    def fetch_all_accounts(self, request, queryset):
        return self._fetch_action(request, queryset, JobKind.FETCH_ACCOUNTS)

    @admin.action(description="Fetch all prospects (confirm)", permissions=["change"])
    def fetch_all_prospects(self, request, queryset):
        return self._fetch_action(request, queryset, JobKind.FETCH_PROSPECTS)

    @admin.action(description="Fetch all: accounts, then prospects (confirm)", permissions=["change"])
    def fetch_all(self, request, queryset):
        return self._fetch_action(request, queryset, JobKind.FETCH_ALL)

    @admin.action(description="Fetch recently changed", permissions=["change"])
    def fetch_recent(self, request, queryset):
        return self._fetch_action(request, queryset, JobKind.FETCH_RECENT)

    def _pause_action(self, request, queryset, paused):
        changed = 0
        for connector in queryset:
            if console_actions.connector_pause_set(connector=connector, paused=paused):
                self.log_change(request, connector, "Paused" if paused else "Resumed")
                changed += 1
        self.message_user(request, f"{'Paused' if paused else 'Resumed'} {changed} connector(s).", messages.SUCCESS)

    @admin.action(description="Pause selected connectors", permissions=["change"])
    def pause(self, request, queryset):
        self._pause_action(request, queryset, True)

    @admin.action(description="Resume selected connectors", permissions=["change"])
    def resume(self, request, queryset):
        self._pause_action(request, queryset, False)


@admin.register(AttributeMapping)
class AttributeMappingAdmin(admin.ModelAdmin):
    list_display = ("connector", "entity", "direction", "hull", "service", "position")
    list_filter = ("connector", "entity", "direction")
    search_fields = ("hull", "service")
    list_select_related = ("connector",)


@admin.register(IdLink)
class IdLinkAdmin(ReadOnlyAdmin):
    list_display = ("connector", "entity", "hull_id", "outreach_id", "identity", "last_pushed_at", "last_pulled_at", "timeline_")
    list_filter = ("connector", "entity")
    search_fields = ("=hull_id", "=identity", "=outreach_id")
    list_select_related = ("connector",)
    paginator = NoCountPaginator

    @admin.display(description="")
    def timeline_(self, obj):
        return timeline_link(obj.identity or obj.hull_id or str(obj.outreach_id), "timeline")


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
    list_display = ("id", "connector", "event_name", "resource_type", "resource_id", "status", "event_id", "received_at")
    list_filter = ("connector", "resource_type", "event_name", "status")
    search_fields = ("=event_id", "=resource_id")
    list_select_related = ("connector",)
    paginator = NoCountPaginator


@admin.register(SeenSegment)
class SeenSegmentAdmin(ReadOnlyAdmin):
    list_display = ("name", "entity", "hull_id", "connector", "last_seen_at")
    list_filter = ("connector", "entity")
    search_fields = ("name", "=hull_id")
    list_select_related = ("connector",)


@admin.register(SeenAttribute)
class SeenAttributeAdmin(ReadOnlyAdmin):
    list_display = ("name", "entity", "connector")
    list_filter = ("connector", "entity")
    search_fields = ("name",)
    list_select_related = ("connector",)


# ---------------------------------------------------------------- jobs

JOB_STATUS_STYLE = {
    JobStatus.FAILED: (PROBLEM, "✖"),
    JobStatus.SUCCEEDED: (OK, "✔"),
    JobStatus.RUNNING: ("color:#205067;font-weight:bold", "▶"),
    JobStatus.RETRYING: ("color:#b26a00;font-weight:bold", "↻"),
    JobStatus.WAITING: (PROBLEM, "⏸"),
}


def progress_html(job: SyncJob):
    if not job.progress_total:
        return format_html("{}", job.progress_done) if job.progress_done else ""
    percent = min(100, round(100 * job.progress_done / job.progress_total))
    return format_html(
        '<progress max="{}" value="{}" title="{}%"></progress> <small>{} / {}</small>',
        job.progress_total,
        job.progress_done,
        percent,
        job.progress_done,
        job.progress_total,
    )


def _duration(job: SyncJob) -> str:
    end = job.finished_at or (timezone.now() if job.started_at else None)
    if not job.started_at or not end:
        return ""
    seconds = int((end - job.started_at).total_seconds())
    text = f"{seconds // 3600}h {seconds // 60 % 60}m" if seconds >= 3600 else (
        f"{seconds // 60}m {seconds % 60}s" if seconds >= 60 else f"{seconds}s"
    )
    return text if job.finished_at else f"{text} so far"


@admin.register(SyncJob)
class SyncJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "connector", "kind", "status_", "progress_", "counts_", "attempts", "duration_", "started_by", "created_at")
    list_filter = ("connector", "kind", "status", "created_at")
    search_fields = ("=id", "started_by")
    list_select_related = ("connector",)
    paginator = NoCountPaginator
    actions = ("rerun",)
    change_form_template = "admin/sync/syncjob/change_form.html"
    readonly_fields = ("error_",)
    fields = (
        "connector", "kind", "status", "attempts", "max_attempts", "next_attempt_at", "progress_done",
        "progress_total", "succeeded", "skipped", "failed", "error_", "started_by", "rerun_of", "task_id",
        "created_at", "started_at", "finished_at", "heartbeat_at", "checkpoint",
    )

    @admin.display(description="Status", ordering="status")
    def status_(self, obj):
        style, icon = JOB_STATUS_STYLE.get(obj.status, (QUIET, "•"))
        title = obj.error.split("\n", 1)[0][:200] if obj.error else ""
        return _badge(style, f"{icon} {obj.get_status_display()}", title)

    @admin.display(description="Progress")
    def progress_(self, obj):
        return progress_html(obj)

    @admin.display(description="Succeeded / skipped / failed")
    def counts_(self, obj):
        return format_html(
            '<span style="{}">{}</span> / {} / <span style="{}">{}</span>',
            OK, obj.succeeded, obj.skipped, PROBLEM if obj.failed else QUIET, obj.failed,
        )

    @admin.display(description="Duration")
    def duration_(self, obj):
        return _duration(obj)

    @admin.display(description="Error")
    def error_(self, obj):
        return format_html('<pre style="white-space:pre-wrap">{}</pre>', obj.error) if obj.error else "—"

    @admin.action(description="Re-run selected jobs")
    def rerun(self, request, queryset):
        if not _can_operate(request):
            raise PermissionDenied
        jobs = [job_rerun(job, started_by=_started_by(request)) for job in queryset]
        self.message_user(request, f"Queued {len(jobs)} new attempt(s).", messages.SUCCESS)

    def get_urls(self):
        return [
            path("<int:pk>/rerun/", self.admin_site.admin_view(self.rerun_view), name="sync_syncjob_rerun"),
        ] + super().get_urls()

    def rerun_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not _can_operate(request):
            raise PermissionDenied
        job = get_object_or_404(SyncJob, pk=pk)
        new = job_rerun(job, started_by=_started_by(request))
        self.message_user(request, f"Queued job #{new.pk}, a new attempt of #{job.pk}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:sync_syncjob_change", args=[new.pk]))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(job_page_context(obj))
            context["can_rerun"] = _can_operate(request)
        return super().render_change_form(request, context, add, change, form_url, obj)


def job_page_context(job: SyncJob) -> dict:
    """What the job page shows besides its fields: input, log lines, attempts."""
    context = {
        "progress": progress_html(job),
        "duration": _duration(job),
        "log_lines": list(job.logs.order_by("-created_at", "-id")[:200]),
        "log_list_url": reverse("admin:sync_synclog_changelist") + f"?job__id__exact={job.pk}",
        "attempts_chain": _attempts(job),
        "params_json": json.dumps(job.params, indent=2, sort_keys=True) if job.params else "",
    }
    if job.notification_id:
        context["notification"] = job.notification
        context["hull_messages"] = list(job.notification.messages.all()[:500])
    deliveries = list(job.processed_deliveries.all()[:500])
    if job.delivery_id and all(d.pk != job.delivery_id for d in deliveries):
        deliveries.insert(0, job.delivery)
    context["deliveries"] = deliveries
    return context


def _attempts(job: SyncJob) -> list[SyncJob]:
    """The earlier runs this one re-runs, and the re-runs made of it: the whole story, oldest first."""
    chain, seen, cursor = [], {job.pk}, job.rerun_of
    while cursor is not None and cursor.pk not in seen and len(chain) < 20:
        chain.append(cursor)
        seen.add(cursor.pk)
        cursor = cursor.rerun_of
    later = list(SyncJob.objects.filter(rerun_of=job).order_by("created_at")[:20])
    return chain[::-1] + [job] + later


# ---------------------------------------------------------------- logs


class EventFilter(admin.SimpleListFilter):
    title = "event"
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return [(e, e) for e in LOG_EVENTS]

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


def timeline_link(term: str, text: str | None = None):
    if not term:
        return ""
    url = reverse("admin:sync_timeline") + "?" + urlencode({"q": term})
    return format_html('<a href="{}" title="Everything that happened to {}">{}</a>', url, term, text or term)


@admin.register(SyncLog)
class SyncLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "connector", "event", "level_", "subject_", "message_", "job_")
    list_filter = ("connector", EventFilter, "level", "created_at")
    search_fields = ()
    list_select_related = ("connector",)
    paginator = NoCountPaginator
    change_list_template = "admin/sync/synclog/change_list.html"
    fields = ("created_at", "connector", "event", "level", "job_", "subject_", "hull_id", "email", "domain",
              "outreach_id", "message", "payload_")
    readonly_fields = ("job_", "subject_", "payload_")

    def lookup_allowed(self, lookup, value, request=None):
        # The job page links to "all lines of this job".
        return lookup in ("job__id__exact", "job") or super().lookup_allowed(lookup, value, request)

    def get_search_results(self, request, queryset, search_term):
        """Exact matches on indexed columns only: fast on millions of rows."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(subject_log_filter(term)), False

    def get_search_fields(self, request):
        return ("email",)  # shows the search box; the lookup itself is get_search_results

    def changelist_view(self, request, extra_context=None):
        term = request.GET.get("q", "").strip()
        extra_context = {**(extra_context or {}), "timeline_link": timeline_link(term, f"Timeline of {term}") if term else ""}
        return super().changelist_view(request, extra_context)

    @admin.display(description="Level", ordering="level")
    def level_(self, obj):
        if obj.level == "error":
            return _badge(PROBLEM, "✖ error")
        if obj.level == "warning":
            return _badge("color:#b26a00;font-weight:bold", "⚠ warning")
        return obj.get_level_display()

    @admin.display(description="Subject")
    def subject_(self, obj):
        term = obj.email or obj.domain or (str(obj.outreach_id) if obj.outreach_id else obj.hull_id)
        text = obj.email or obj.domain or (f"outreach {obj.outreach_id}" if obj.outreach_id else obj.hull_id)
        return timeline_link(term, text)

    @admin.display(description="Reason")
    def message_(self, obj):
        return obj.message[:200]

    @admin.display(description="Job")
    def job_(self, obj):
        if not obj.job_id:
            return ""
        return format_html('<a href="{}">#{}</a>', reverse("admin:sync_syncjob_change", args=[obj.job_id]), obj.job_id)

    @admin.display(description="Payload (secrets removed)")
    def payload_(self, obj):
        if obj.payload is None:
            return "—"
        return format_html(
            '<pre style="white-space:pre-wrap;max-width:100em">{}</pre>',
            json.dumps(obj.payload, indent=2, sort_keys=True, ensure_ascii=False),
        )

    def get_urls(self):
        return [
            path("timeline/", self.admin_site.admin_view(self.timeline_view), name="sync_timeline"),
        ] + super().get_urls()

    def timeline_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        term = request.GET.get("q", "").strip()
        connector = None
        if request.GET.get("connector", "").isdigit():
            connector = Connector.objects.filter(pk=int(request.GET["connector"])).first()
        lines = subject_timeline(term=term, connector=connector) if term else []
        links = subject_links(term=term, connector=connector) if term else []
        return TemplateResponse(
            request,
            "admin/sync/timeline.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Timeline: {term}" if term else "Timeline",
                "term": term,
                "lines": lines,
                "links": links,
                "connector": connector,
                "connectors": Connector.objects.order_by("name"),
            },
        )
