"""Plug the Outreach side into the operator console (sync/console_hooks.py), once, at startup."""

from django.urls import reverse

from sync.console_hooks import ConnectorTool, connector_tool_register


def console_wire() -> None:
    connector_tool_register(
        ConnectorTool(
            label="Connect / Re-authorize Outreach",
            url=lambda connector: reverse("outreach:oauth-start", args=[connector.pk]),
            section="connect",
            help="Sign in to Outreach and grant hullreach access; tokens are stored encrypted.",
        )
    )
