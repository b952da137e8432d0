"""Staff pages for the Outreach side of the console: Test connection and Re-register webhook.

Thin: sync/console_outreach.py does the work. Viewing a connector is enough to test it; re-registering
changes Outreach, so it needs the change permission, a POST and a confirmation.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from connectors.outreach.errors import OutreachError
from sync.console_outreach import connector_connection_test, connector_webhook_reregister
from sync.models import Connector


def _connector(request, pk: int, *, change: bool) -> Connector:
    user = request.user  # admin_view already let only active staff in
    can_change = user.has_perm("sync.change_connector")
    if not (can_change if change else (can_change or user.has_perm("sync.view_connector"))):
        raise PermissionDenied
    return get_object_or_404(Connector, pk=pk)


def _context(request, connector: Connector, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "opts": Connector._meta, "original": connector, "title": title, **extra}


def connection_test_view(request, pk: int):
    connector = _connector(request, pk, change=False)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    report = connector_connection_test(connector=connector)
    return TemplateResponse(
        request, "console/connection_test.html", _context(request, connector, f"Test connection: {connector}", report=report)
    )


def webhook_reregister_view(request, pk: int):
    connector = _connector(request, pk, change=True)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            hook = connector_webhook_reregister(connector=connector)
        except OutreachError as exc:
            messages.error(request, f"Could not register the Outreach webhook: {exc}")
        else:
            if hook is None:
                messages.error(request, "The connector is not connected to Outreach: connect it first.")
            else:
                messages.success(request, f"Outreach webhook {hook['id']} is registered and active for {connector}.")
        return HttpResponseRedirect(reverse("admin:sync_connector_change", args=[connector.pk]))
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return TemplateResponse(
        request, "console/webhook_reregister.html", _context(request, connector, f"Re-register webhook: {connector}")
    )
