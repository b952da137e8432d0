"""Install a sandbox Hull organization for a hullreach connector (demo, tests, benchmarks)."""

from connectors.hull.sandbox.models import Organization


def sandbox_organization_ensure(*, connector, connector_url: str = "http://localhost:8000", auto_notify: bool = False) -> Organization:
    """The sandbox organization whose installed connector is `connector` (same id, host and secret)."""
    organization, _ = Organization.objects.update_or_create(
        connector_id=connector.hull_id,
        defaults={
            "host": connector.hull_organization,
            "connector_secret": connector.hull_secret,
            "connector_url": connector_url,
            "auto_notify": auto_notify,
        },
    )
    return organization
