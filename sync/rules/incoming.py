"""An Outreach prospect or account (webhook or REST shape) → what is written to Hull (§3.5, §3.6).

Webhook resources carry only what changed, with flattened relationships (`relationships.account.id`);
REST resources carry everything, with nested ones (`relationships.account.data.id`). Both go through
the same rules; `event_name` (the webhook's `meta.eventName`) says a resource came from a webhook.

Traits are in Hull's firehose form: `{"outreach/id": {"operation": "set", "value": 3}}`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync.rules.normalize import domain_normalize, email_normalize, is_empty
from sync.rules.outreach_values import relationship_read
from sync.rules.settings import ConnectorSettings, claims_read, mappings_read

USER_CLAIM_KEYS = frozenset({"email", "external_id"})
ACCOUNT_CLAIM_KEYS = frozenset({"domain", "external_id"})


@dataclass(frozen=True)
class HullWrite:
    """One Hull traits write, plus (for users) the account link.

    claims: `io.hull.asUser` / `io.hull.asAccount` claims (`anonymous_id: outreach:<id>` first).
    traits: the traits body. account_claims: for users with `link_users_in_hull`, the account to
    link (`{"anonymous_id": "outreach:<account id>"}`), or None.
    skip_reason: non-empty when a webhook would change nothing mapped; the sync layer logs
    `incoming.<user|account>.skip` with it instead of writing (the write is still computed).
    """

    claims: dict
    traits: dict
    account_claims: dict | None = None
    skip_reason: str = ""
    warnings: tuple[str, ...] = field(default=())

    @property
    def skipped(self) -> bool:
        return bool(self.skip_reason)


def _set(value: Any) -> dict:
    return {"operation": "set", "value": value}


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _claims(*, connector: ConnectorSettings, setting: str, attributes: dict, allowed: frozenset) -> dict:
    claims = {}
    for claim in claims_read(connector=connector, setting=setting):
        hull = claim["hull"]
        if hull not in allowed or hull in claims:
            continue
        value = _first(attributes.get(claim["service"]))
        if is_empty(value) or isinstance(value, (list, dict)):
            continue
        if hull == "email":
            value = email_normalize(value)
        elif hull == "domain":
            value = domain_normalize(value)
        elif isinstance(value, str):
            value = value.strip()
        if value != "":
            claims[hull] = value
    return claims


def _relationship_traits(
    *,
    resource: dict,
    hull: str,
    service: str,
    stage_name_for: Callable[[Any], str | None] | None,
    owner_email_for: Callable[[Any], str | None] | None,
) -> tuple[bool, Any]:
    """(write?, value) for the synthetic services stage, stageName, owner, ownerEmail."""
    name = "stage" if service in ("stage", "stageName") else "owner"
    present, rest_null, target_id = relationship_read(resource=resource, name=name)
    # REST `data: null` is not written; a webhook's explicit `{"id": null}` writes null (§9.3 item 24).
    if not present or rest_null:
        return False, None
    if service in ("stage", "owner"):
        return True, target_id
    if target_id is None:
        return True, None
    lookup = stage_name_for if service == "stageName" else owner_email_for
    if lookup is None:
        raise ValueError(f"{service} is mapped to {hull}: a lookup callable is needed")
    value = lookup(target_id)
    # An id the cached map does not know is not written (§9.3 item 24), never written as null.
    return (value is not None), value


def _attribute_names(resource: dict) -> list[str]:
    return sorted((resource.get("attributes") or {}).keys())


def _skip_reason(*, kind: str, resource: dict, event_name: str, incoming_setting: str) -> str:
    names = _attribute_names(resource)
    subject = f"{kind} {resource.get('id')}"
    if not names:
        return (
            f"Outreach sent {event_name} for {subject} with no changed attributes (this happens when a "
            f"{kind} is added to a sequence, for example); nothing mapped changed, so nothing was written to Hull."
        )
    return (
        f"Outreach sent {event_name} for {subject} changing only {', '.join(names)}, none of which is in "
        f"{incoming_setting}; nothing was written to Hull. Map the attribute there to receive it."
    )


def _is_update_webhook(event_name: str) -> bool:
    return bool(event_name) and not event_name.endswith((".created", ".destroyed"))


def user_write_from_prospect(
    *,
    connector: ConnectorSettings,
    prospect: dict,
    event_name: str = "",
    stage_name_for: Callable[[Any], str | None] | None = None,
    owner_email_for: Callable[[Any], str | None] | None = None,
) -> HullWrite:
    """The Hull user write for an Outreach prospect (§3.5.1 webhook, §3.6.1 REST).

    event_name: the webhook's `meta.eventName` ("prospect.created", ...); "" for a REST read (fetch,
    read-back after a write, §3.7 email fetch), which is never skipped.
    stage_name_for / owner_email_for: id → name / email from the cached maps; called only when a
    `stageName` / `ownerEmail` mapping exists and the relationship is in the payload.
    """
    attributes = prospect.get("attributes") or {}
    claims = {"anonymous_id": f"outreach:{prospect['id']}"}
    claims.update(_claims(connector=connector, setting="user_claims", attributes=attributes, allowed=USER_CLAIM_KEYS))
    traits = {"outreach/id": _set(prospect["id"])}
    mapped = False
    for mapping in mappings_read(connector=connector, setting="incoming_user_attributes"):
        hull, service = mapping["hull"], mapping["service"]
        if service in ("stage", "stageName", "owner", "ownerEmail"):
            write, value = _relationship_traits(
                resource=prospect,
                hull=hull,
                service=service,
                stage_name_for=stage_name_for,
                owner_email_for=owner_email_for,
            )
        else:
            # Prospects write nulls (the original's allowNull); absent keys are left alone (§9.3 item 19).
            write, value = service in attributes, attributes.get(service)
        if write:
            traits[hull] = _set(value)
            mapped = True
    if event_name == "prospect.created":
        traits["outreach/created_by_webhook"] = _set(True)
    account_claims = None
    if connector.link_users_in_hull:
        present, _rest_null, account_id = relationship_read(resource=prospect, name="account")
        if present and not is_empty(account_id):
            account_claims = {"anonymous_id": f"outreach:{account_id}"}
    skip_reason = ""
    if _is_update_webhook(event_name) and not mapped and len(claims) == 1 and account_claims is None:
        skip_reason = _skip_reason(
            kind="prospect", resource=prospect, event_name=event_name, incoming_setting="the incoming user attributes"
        )
    return HullWrite(claims, traits, account_claims, skip_reason)


def account_write_from_account(
    *,
    connector: ConnectorSettings,
    account: dict,
    event_name: str = "",
    owner_email_for: Callable[[Any], str | None] | None = None,
) -> HullWrite:
    """The Hull account write for an Outreach account (§3.5.2 webhook, §3.6.2 REST).

    Nulls in a webhook are skipped (the original's account webhook transform had no allowNull);
    nulls in a REST read are written (§3.6.2). `name` goes to Hull's `name` with `setIfNull`.
    """
    attributes = account.get("attributes") or {}
    claims = {"anonymous_id": f"outreach:{account['id']}"}
    claims.update(
        _claims(connector=connector, setting="account_claims", attributes=attributes, allowed=ACCOUNT_CLAIM_KEYS)
    )
    traits = {"outreach/id": _set(account["id"])}
    from_webhook = bool(event_name)
    mapped = False
    if not is_empty(attributes.get("name")):
        traits["name"] = {"operation": "setIfNull", "value": attributes["name"]}
        mapped = True
    for mapping in mappings_read(connector=connector, setting="incoming_account_attributes"):
        hull, service = mapping["hull"], mapping["service"]
        if service in ("owner", "ownerEmail"):
            write, value = _relationship_traits(
                resource=account, hull=hull, service=service, stage_name_for=None, owner_email_for=owner_email_for
            )
        else:
            write, value = service in attributes, attributes.get(service)
            if from_webhook and value is None:
                write = False
        if write:
            traits[hull] = _set(value)
            mapped = True
    skip_reason = ""
    if _is_update_webhook(event_name) and not mapped and len(claims) == 1:
        skip_reason = _skip_reason(
            kind="account", resource=account, event_name=event_name, incoming_setting="the incoming account attributes"
        )
    return HullWrite(claims, traits, None, skip_reason)


def write_for_destroyed(*, kind: str, outreach_id: int | str, deleted_at: str) -> HullWrite:
    """The Hull write for `prospect.destroyed` / `account.destroyed` (an improvement: the original only
    upserted `outreach/id`): `outreach/deleted_at` on the user or account claimed by its Outreach id.

    kind: "prospect" or "account"; deleted_at: the webhook's `meta.deliveredAt` (ISO-8601).
    """
    if kind not in ("prospect", "account"):
        raise ValueError(f"kind must be 'prospect' or 'account', not {kind!r}")
    return HullWrite({"anonymous_id": f"outreach:{outreach_id}"}, {"outreach/deleted_at": _set(deleted_at)})
