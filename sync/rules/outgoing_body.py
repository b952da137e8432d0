"""The JSON:API `data` hullreach sends to Outreach for a Hull user (prospect) or account (§3.2.4, §3.3).

The original's rules, with the improvements issue 5 asks for:
- a Hull array mapped to an Outreach array field is sent as that array, not wrapped again (§9.2 item 11);
- an `ownerEmail` that matches no Outreach user leaves the owner out and returns a warning naming the
  email (the original sent `id: null` and Outreach refused the whole write); a missing value leaves
  the owner unchanged (the original sent `data: null`, which unassigned it) (§9.2 item 14);
- `stage`/`owner` are relationships whichever Hull attribute (user or `account.<attr>`) feeds them;
- scalars for the account array field `tags` are wrapped too (Outreach refuses a scalar there).
Nulls are never sent; empty strings are (the original's tests send `custom1: ""`).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync.rules.normalize import email_normalize, is_empty
from sync.rules.settings import ConnectorSettings, claims_read, mappings_read

PROSPECT_ARRAY_FIELDS = frozenset(
    {"emails", "homePhones", "mobilePhones", "otherPhones", "tags", "voipPhones", "workPhones"}
)
ACCOUNT_ARRAY_FIELDS = frozenset({"tags"})
# Prospect services sent as relationships, with the JSON:API type Outreach expects.
PROSPECT_RELATIONSHIPS = {"stage": "stage", "owner": "user"}
OWNER_EMAIL = "ownerEmail"
ACCOUNT_READ_ONLY = frozenset({"owner", "ownerEmail", "createdAt", "externalSource"})


@dataclass(frozen=True)
class OutgoingBody:
    """`data` for the request body `{"data": data}`, and warnings for the staff log."""

    data: dict
    warnings: tuple[str, ...] = field(default=())

    @property
    def body(self) -> dict:
        return {"data": self.data}


def _message_value(message: dict, hull: str, *, default_source: str) -> Any:
    """`account.<attr>` reads the message's account; anything else reads `default_source`."""
    if hull.startswith("account."):
        return (message.get("account") or {}).get(hull[len("account.") :])
    return (message.get(default_source) or {}).get(hull)


def _as_field_value(value: Any, *, array_field: bool) -> Any:
    if array_field and not isinstance(value, list):
        return [value]
    return value


def _segment_field_value(segments, field_name: str, array_fields: frozenset) -> Any:
    if not isinstance(segments, list):  # exports can carry `{}` here
        segments = []
    names = [str(s["name"]) for s in segments if isinstance(s, dict) and s.get("name")]
    if not names:
        return None  # omitted, never cleared (§9.2 item 12)
    if field_name in array_fields:
        return names
    # The original's JSON.stringify: no spaces, non-ASCII kept.
    return json.dumps(names, separators=(",", ":"), ensure_ascii=False)


def _merge_claim_values(hull_values: list, existing: Any, *, emails: bool) -> list:
    """Hull's values first, then what Outreach already has, without duplicates (normalised)."""
    key = email_normalize if emails else (lambda v: str(v).strip())
    merged, seen = [], set()
    for value in hull_values + (existing if isinstance(existing, list) else []):
        if is_empty(value) or key(value) in seen:
            continue
        seen.add(key(value))
        merged.append(value.strip() if isinstance(value, str) else value)
    return merged


def prospect_body_build(
    *,
    connector: ConnectorSettings,
    message: dict,
    prospect_id: int | str | None,
    include_claims: bool,
    existing_prospect: dict | None = None,
    account_id: int | str | None = None,
    owner_id_for_email: Callable[[str], int | str | None] | None = None,
) -> OutgoingBody:
    """The prospect `data` for a user:update message.

    prospect_id: the Outreach id to PATCH, or None for a POST.
    include_claims: True on insert, after a lookup found the prospect, or when the Hull email changed;
      then the `user_claims` are sent, array claims merged with `existing_prospect`'s values (Hull first).
    existing_prospect: the Outreach prospect resource (REST shape) read by the lookup or the GET.
    account_id: the Outreach account to link (`relationships.account`), from `user_account_link_plan`.
    owner_id_for_email: normalised email → Outreach user id or None; needed when `ownerEmail` is mapped.
    """
    user = message.get("user") or {}
    data: dict = {"type": "prospect"}
    if prospect_id is not None:
        data["id"] = prospect_id
    attributes: dict = {}
    relationships: dict = {}
    warnings: list[str] = []

    owner_email_mapping = None
    for mapping in mappings_read(connector=connector, setting="outgoing_user_attributes"):
        hull, service = mapping["hull"], mapping["service"]
        if service == OWNER_EMAIL:
            owner_email_mapping = mapping  # resolved last, as the original did
            continue
        value = _message_value(message, hull, default_source="user")
        if value is None:
            continue
        if service in PROSPECT_RELATIONSHIPS:
            if is_empty(value) or isinstance(value, (list, dict)):
                continue
            relationships[service] = {"data": {"type": PROSPECT_RELATIONSHIPS[service], "id": value}}
            continue
        attributes[service] = _as_field_value(value, array_field=service in PROSPECT_ARRAY_FIELDS)

    if include_claims:
        existing_attributes = (existing_prospect or {}).get("attributes") or {}
        for claim in claims_read(connector=connector, setting="user_claims"):
            value = user.get(claim["hull"])
            if is_empty(value):
                continue
            service = claim["service"]
            if service in PROSPECT_ARRAY_FIELDS:
                hull_values = value if isinstance(value, list) else [value]
                attributes[service] = _merge_claim_values(
                    hull_values, existing_attributes.get(service), emails=service == "emails"
                )
            else:
                attributes[service] = value.strip() if isinstance(value, str) else value

    for setting, source in (
        ("prospect_outgoing_user_segments", "segments"),
        ("prospect_outgoing_account_segments", "account_segments"),
    ):
        field_name = (getattr(connector, setting, "") or "").strip()
        if field_name:
            value = _segment_field_value(message.get(source), field_name, PROSPECT_ARRAY_FIELDS)
            if value is not None:
                attributes[field_name] = value

    if owner_email_mapping is not None:
        email = _message_value(message, owner_email_mapping["hull"], default_source="user")
        if not is_empty(email):
            if owner_id_for_email is None:
                raise ValueError("ownerEmail is mapped: prospect_body_build needs owner_id_for_email")
            owner_id = owner_id_for_email(email_normalize(email))
            if owner_id is None:
                warnings.append(
                    f"No Outreach user has the email {email!r} (Hull attribute {owner_email_mapping['hull']}), "
                    "so the prospect's owner was left unchanged. Check the email, or add that user in Outreach."
                )
            else:
                relationships["owner"] = {"data": {"type": "user", "id": str(owner_id)}}

    if account_id is not None:
        relationships["account"] = {"data": {"type": "account", "id": account_id}}
    if relationships:
        data["relationships"] = relationships
    if attributes:
        data["attributes"] = attributes
    return OutgoingBody(data, tuple(warnings))


def account_body_build(
    *,
    connector: ConnectorSettings,
    message: dict,
    account_id: int | str | None,
    include_claims: bool = True,
) -> OutgoingBody:
    """The account `data` for an account:update message, or for a user message's account (link insert).

    Always sends the Hull `domain` (§1.3); then `outgoing_account_attributes`, the `account_claims`
    (`customId` ← `external_id`, ...) and the account segment names into `outgoing_account_segments`.
    """
    account = message.get("account") or {}
    data: dict = {"type": "account"}
    if account_id is not None:
        data["id"] = account_id
    attributes: dict = {}
    warnings: list[str] = []
    if not is_empty(account.get("domain")):
        attributes["domain"] = account["domain"].strip() if isinstance(account["domain"], str) else account["domain"]
    for mapping in mappings_read(connector=connector, setting="outgoing_account_attributes"):
        hull, service = mapping["hull"], mapping["service"]
        if service in ACCOUNT_READ_ONLY:
            warnings.append(
                f"The Outreach account field {service!r} is read-only; the mapping from {hull} was not sent."
            )
            continue
        name = hull[len("account.") :] if hull.startswith("account.") else hull
        value = account.get(name)
        if value is None:
            continue
        attributes[service] = _as_field_value(value, array_field=service in ACCOUNT_ARRAY_FIELDS)
    if include_claims:
        for claim in claims_read(connector=connector, setting="account_claims"):
            value = account.get(claim["hull"])
            if not is_empty(value):
                attributes[claim["service"]] = value.strip() if isinstance(value, str) else value
    field_name = (connector.outgoing_account_segments or "").strip()
    if field_name:
        value = _segment_field_value(message.get("account_segments"), field_name, ACCOUNT_ARRAY_FIELDS)
        if value is not None:
            attributes[field_name] = value
    if attributes:
        data["attributes"] = attributes
    return OutgoingBody(data, tuple(warnings))


def prospect_needs_owner_map(*, connector: ConnectorSettings) -> bool:
    """Whether building prospect bodies will ask `owner_id_for_email` (so the users map is worth loading)."""
    mappings = mappings_read(connector=connector, setting="outgoing_user_attributes")
    return any(m["service"] == OWNER_EMAIL for m in mappings)
