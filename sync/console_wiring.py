"""Plug the Outreach side into the operator console (sync/console_hooks.py), once, at startup."""

from django.conf import settings
from django.urls import reverse

from sync.console_hooks import (
    ConnectorTool,
    budget_reader_set,
    connector_cleanup_set,
    connector_tool_register,
    record_counter_set,
)


def _when_connected(name: str):
    def url(connector):
        if not connector.outreach_access_token and not connector.outreach_refresh_token:
            return None
        return reverse(name, args=[connector.pk])

    return url


def console_wire() -> None:
    from sync.console_outreach import connector_budget_used, connector_record_count, connector_webhook_remove

    connector_tool_register(
        ConnectorTool(
            label="Connect / Re-authorize Outreach",
            url=lambda connector: reverse("outreach:oauth-start", args=[connector.pk]),
            section="connect",
            help="Sign in to Outreach and grant hullreach access; tokens are stored encrypted.",
        )
    )
    connector_tool_register(
        ConnectorTool(
            label="Test connection",
            url=_when_connected("console:connection-test"),
            help="Checks the token, the scopes, the hourly request budget left and the webhook.",
        )
    )
    connector_tool_register(
        ConnectorTool(
            label="Re-register webhook",
            url=_when_connected("console:webhook-reregister"),
            help="Makes sure one active Outreach webhook points here (replaces a missing or disabled one).",
        )
    )
    connector_cleanup_set(connector_webhook_remove)
    record_counter_set(connector_record_count)
    budget_reader_set(connector_budget_used)
    if settings.SANDBOX_ENABLED:
        # The demo: the in-memory Outreach sandbox is seeded in the process that serves it (web).
        from connectors.outreach.sandbox.views import sandbox_setup_register
        from sync.demo import demo_outreach_sandbox_setup

        sandbox_setup_register(demo_outreach_sandbox_setup)
