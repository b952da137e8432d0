"""Which connector a Hull request is for: its credentials must match, the secret in constant time."""

import hmac

from sync.models import Connector


def connector_authenticate(*, hull_id: str, organization: str, secret: str) -> Connector | None:
    """The connector these Hull credentials belong to, or None (unknown id, organization or secret)."""
    if not (isinstance(hull_id, str) and isinstance(organization, str) and isinstance(secret, str)):
        return None
    if not hull_id or not secret:
        return None
    connector = Connector.objects.filter(hull_id=hull_id).first()
    # Compare something even for an unknown id, so timing does not reveal which ids exist.
    expected = connector.hull_secret if connector and connector.hull_secret else "\x00" * 32
    secret_ok = hmac.compare_digest(expected.encode(), secret.encode())
    if connector is None or not connector.hull_secret or not secret_ok:
        return None
    if connector.hull_organization.strip().lower() != organization.strip().lower():
        return None
    return connector
