"""Staff connect a connector to Outreach: start (redirect to consent) and the OAuth callback."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from connectors.outreach.errors import OutreachError
from connectors.outreach.oauth import oauth_authorize_url, oauth_code_exchange, oauth_state_check
from sync.logs import sync_log
from sync.models import Connector

logger = logging.getLogger(__name__)


def _connector_page(connector_id) -> str:
    return reverse("admin:sync_connector_change", args=[connector_id])


@require_GET
@staff_member_required
def oauth_start(request, connector_id: int):
    connector = get_object_or_404(Connector, pk=connector_id)
    if not settings.OUTREACH_CLIENT_ID:
        messages.error(request, "No Outreach OAuth app is configured (OUTREACH_CLIENT_ID).")
        return redirect(_connector_page(connector.pk))
    return redirect(oauth_authorize_url(connector=connector, session=request.session))


@require_GET
@staff_member_required
def oauth_callback(request):
    try:
        connector_id = oauth_state_check(state=request.GET.get("state", ""), session=request.session)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("admin:sync_connector_changelist")
    connector = get_object_or_404(Connector, pk=connector_id)
    if request.GET.get("error"):
        reason = request.GET.get("error_description") or request.GET["error"]
        messages.error(request, f"Outreach did not authorize the connection: {reason}")
        sync_log(connector=connector, event="connector.oauth.error", message=f"Authorization refused: {reason}")
        return redirect(_connector_page(connector.pk))
    try:
        oauth_code_exchange(connector=connector, code=request.GET.get("code", ""))
    except OutreachError as exc:
        messages.error(request, f"Could not connect Outreach: {exc}")
        sync_log(connector=connector, event="connector.oauth.error", message=f"Code exchange failed: {exc}")
        return redirect(_connector_page(connector.pk))
    messages.success(request, f"Outreach is connected for {connector.name}.")
    return redirect(_connector_page(connector.pk))
