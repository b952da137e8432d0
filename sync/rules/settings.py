"""The settings the rules read, from a Connector or as a snapshot taken once per batch.

Every rule takes `connector`: anything with the original's `private_settings` names as attributes.
A `Connector` works as it is, but each of its mapping properties runs a query; the sync layer should
call `rule_settings_snapshot(connector=...)` once per batch and pass the snapshot instead.
"""

from dataclasses import dataclass, field
from typing import Protocol

from sync.choices import Direction, Entity
from sync.settings_io import trait_name_normalize


class ConnectorSettings(Protocol):
    user_claims: list
    account_claims: list
    synchronized_user_segments: list
    synchronized_account_segments: list
    link_users_in_hull: bool
    link_users_in_service: bool
    prospect_outgoing_user_segments: str
    prospect_outgoing_account_segments: str
    outgoing_account_segments: str

    @property
    def incoming_user_attributes(self) -> list[dict]: ...

    @property
    def outgoing_user_attributes(self) -> list[dict]: ...

    @property
    def incoming_account_attributes(self) -> list[dict]: ...

    @property
    def outgoing_account_attributes(self) -> list[dict]: ...


@dataclass(frozen=True)
class RuleSettings:
    """The original's settings, with its defaults. Build one in tests without a database."""

    user_claims: list = field(default_factory=lambda: [{"hull": "email", "service": "emails"}])
    account_claims: list = field(default_factory=lambda: [{"hull": "domain", "service": "domain"}])
    synchronized_user_segments: list = field(default_factory=list)
    synchronized_account_segments: list = field(default_factory=list)
    link_users_in_hull: bool = False
    link_users_in_service: bool = False
    prospect_outgoing_user_segments: str = ""
    prospect_outgoing_account_segments: str = ""
    outgoing_account_segments: str = ""
    incoming_user_attributes: list = field(default_factory=list)
    outgoing_user_attributes: list = field(default_factory=list)
    incoming_account_attributes: list = field(default_factory=list)
    outgoing_account_attributes: list = field(default_factory=lambda: [{"hull": "name", "service": "name"}])


def rule_settings_snapshot(*, connector) -> RuleSettings:
    """Read a connector's settings and mappings once (one query, or none if mappings are prefetched)."""
    mappings: dict[tuple[str, str], list[dict]] = {}
    for m in connector.mappings.all():
        mappings.setdefault((m.entity, m.direction), []).append({"hull": m.hull, "service": m.service})
    return RuleSettings(
        user_claims=list(connector.user_claims or []),
        account_claims=list(connector.account_claims or []),
        synchronized_user_segments=list(connector.synchronized_user_segments or []),
        synchronized_account_segments=list(connector.synchronized_account_segments or []),
        link_users_in_hull=bool(connector.link_users_in_hull),
        link_users_in_service=bool(connector.link_users_in_service),
        prospect_outgoing_user_segments=connector.prospect_outgoing_user_segments or "",
        prospect_outgoing_account_segments=connector.prospect_outgoing_account_segments or "",
        outgoing_account_segments=connector.outgoing_account_segments or "",
        incoming_user_attributes=mappings.get((Entity.USER, Direction.INCOMING), []),
        outgoing_user_attributes=mappings.get((Entity.USER, Direction.OUTGOING), []),
        incoming_account_attributes=mappings.get((Entity.ACCOUNT, Direction.INCOMING), []),
        outgoing_account_attributes=mappings.get((Entity.ACCOUNT, Direction.OUTGOING), []),
    )


def mappings_read(*, connector: ConnectorSettings, setting: str) -> list[dict]:
    """A mapping list with `traits_` stripped from hull names and blanks dropped, in configured order."""
    rows = []
    for row in getattr(connector, setting) or []:
        hull = trait_name_normalize(str(row.get("hull") or ""))
        service = str(row.get("service") or "").strip()
        if hull and service:
            rows.append({"hull": hull, "service": service})
    return rows


def claims_read(*, connector: ConnectorSettings, setting: str) -> list[dict]:
    """Claims in order, without the `service == "id"` entries the original ignores (§1.2)."""
    return [row for row in mappings_read(connector=connector, setting=setting) if row["service"] != "id"]
