"""What Outreach holds for the fields we write, so a write that would change nothing is skipped.

Values are a flat dict keyed by Outreach field: attributes by name (`title`, `emails`, `custom10`) and
relationships as `relationships.<name>` → id (`relationships.owner`: "2"). They are recorded on
IdLink.outreach_values (with `values_digest`) from our writes' responses and from incoming reads, and a
value that just arrived from Outreach therefore never counts as a change to push back.
"""

from typing import Any

from sync.rules.normalize import value_canonical
from sync.rules.outgoing_body import ACCOUNT_READ_ONLY, OWNER_EMAIL, PROSPECT_RELATIONSHIPS
from sync.rules.settings import ConnectorSettings, claims_read, mappings_read

NO_CHANGES_TO_SEND = (
    "no changes to send: Outreach already has every value hullreach would write for this {subject} "
    "({fields})."
)
RELATIONSHIP_PREFIX = "relationships."


def body_values(*, data: dict) -> dict:
    """The values a request `data` (from `prospect_body_build` / `account_body_build`) would write."""
    values = dict(data.get("attributes") or {})
    for name, relationship in (data.get("relationships") or {}).items():
        target = (relationship or {}).get("data")
        values[RELATIONSHIP_PREFIX + name] = target.get("id") if isinstance(target, dict) else None
    return values


def relationship_read(*, resource: dict, name: str) -> tuple[bool, bool, Any]:
    """`(present, rest_null, id)` for a relationship of a webhook or REST resource.

    Webhooks flatten relationships (`{"type": "account", "id": 5}`, `{"id": null}` for a cleared one);
    REST nests them (`{"data": {"type": "account", "id": 5}}`, `{"data": null}`). A REST relationship
    with only `links` (prospects of an account) is not present.
    """
    relationship = (resource.get("relationships") or {}).get(name)
    if not isinstance(relationship, dict):
        return False, False, None
    if "data" in relationship:
        target = relationship["data"]
        if target is None:
            return True, True, None
        if isinstance(target, dict):
            return True, False, target.get("id")
        return False, False, None
    if "id" in relationship:
        return True, False, relationship["id"]
    return False, False, None


def _tracked_fields(*, connector: ConnectorSettings, entity: str) -> tuple[set[str], set[str]]:
    """The attributes and relationships the outgoing side may write for `entity` under these settings."""
    if entity == "user":
        attributes, relationships = set(), {"account"}
        for m in mappings_read(connector=connector, setting="outgoing_user_attributes"):
            if m["service"] == OWNER_EMAIL:
                relationships.add("owner")
            elif m["service"] in PROSPECT_RELATIONSHIPS:
                relationships.add(m["service"])
            else:
                attributes.add(m["service"])
        attributes |= {c["service"] for c in claims_read(connector=connector, setting="user_claims")}
        for setting in ("prospect_outgoing_user_segments", "prospect_outgoing_account_segments"):
            if getattr(connector, setting, ""):
                attributes.add(getattr(connector, setting).strip())
        return attributes, relationships
    attributes = {"domain"}
    attributes |= {
        m["service"]
        for m in mappings_read(connector=connector, setting="outgoing_account_attributes")
        if m["service"] not in ACCOUNT_READ_ONLY
    }
    attributes |= {c["service"] for c in claims_read(connector=connector, setting="account_claims")}
    if connector.outgoing_account_segments:
        attributes.add(connector.outgoing_account_segments.strip())
    return attributes, set()


def outreach_values_read(*, connector: ConnectorSettings, entity: str, resource: dict) -> dict:
    """The tracked values an Outreach resource carries (only those present: webhooks carry only changes).

    entity: "user" for a prospect, "account" for an account. Merge into the stored values with
    `outreach_values_merge`, since a webhook's values are partial.
    """
    attributes, relationships = _tracked_fields(connector=connector, entity=entity)
    source = resource.get("attributes") or {}
    values = {name: source[name] for name in sorted(attributes) if name in source}
    for name in sorted(relationships):
        present, _rest_null, target_id = relationship_read(resource=resource, name=name)
        if present:
            values[RELATIONSHIP_PREFIX + name] = target_id
    return values


def outreach_values_merge(*, known: dict, update: dict) -> dict:
    """The stored values after a (possibly partial) read: newer values replace older ones."""
    return {**(known or {}), **update}


def outreach_values_changes(*, sending: dict, known: dict) -> list[str]:
    """The fields of `sending` whose value differs from what Outreach last had (missing counts as differing).

    Compared in normal form: emails and domains without case or surrounding spaces, arrays as arrays
    (in order), null/""/[] as empty, numbers as their text, timestamps as instants.
    """
    known = known or {}
    return [
        name
        for name, value in sending.items()
        if name not in known
        or value_canonical(field=name, value=value) != value_canonical(field=name, value=known[name])
    ]
