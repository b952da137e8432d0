"""Who a Hull message is in Outreach: stored ids, lookups in claim order, the account link plan."""

from dataclasses import dataclass
from typing import Any

from sync.rules.normalize import domain_normalize, email_normalize, is_empty
from sync.rules.settings import ConnectorSettings, claims_read

# The original also read `outreach_user/id` (an older attribute group) as the stored prospect id.
USER_ID_ATTRIBUTES = ("outreach/id", "outreach_user/id")


def _id_value(value: Any) -> int | str | None:
    if is_empty(value) or isinstance(value, (bool, list, dict)):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def user_outreach_id(*, user: dict) -> int | str | None:
    """The prospect id Hull holds for this user (`outreach/id`); 0 counts as an id, "" and null do not."""
    for name in USER_ID_ATTRIBUTES:
        value = _id_value((user or {}).get(name))
        if value is not None:
            return value
    return None


def account_outreach_id(*, account: dict) -> int | str | None:
    """The Outreach account id Hull holds for this account (`outreach/id`)."""
    return _id_value((account or {}).get("outreach/id"))


def _lookup_value(service: str, value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else None
    if service == "emails":
        return email_normalize(value)
    if service == "domain":
        return domain_normalize(value)
    return "" if value is None else str(value).strip()


def user_lookup_filters(*, connector: ConnectorSettings, user: dict) -> list[tuple[str, str]]:
    """`[(outreach filter field, value), ...]` in `user_claims` order, for `GET /prospects/?filter[field]=value`.

    Claims with an empty Hull value and `service == "id"` entries are left out (§3.2.2, §9.1 item 2).
    Emails and domains come normalised; the client URL-encodes them (§9.1 item 3).
    """
    filters = []
    for claim in claims_read(connector=connector, setting="user_claims"):
        value = _lookup_value(claim["service"], (user or {}).get(claim["hull"]))
        if value:
            filters.append((claim["service"], value))
    return filters


def account_lookup_filters(*, connector: ConnectorSettings, account: dict) -> list[tuple[str, str]]:
    """`[(field, value), ...]` in `account_claims` order, for `GET /accounts/?filter[field]=value`."""
    filters = []
    for claim in claims_read(connector=connector, setting="account_claims"):
        value = _lookup_value(claim["service"], (account or {}).get(claim["hull"]))
        if value:
            filters.append((claim["service"], value))
    return filters


def user_identity(*, user: dict) -> str:
    """The normalised email stored on IdLink.identity for a prospect ("" when the user has none)."""
    return email_normalize((user or {}).get("email"))


def account_identity(*, account: dict) -> str:
    """The normalised domain stored on IdLink.identity for an account."""
    return domain_normalize((account or {}).get("domain"))


@dataclass(frozen=True)
class AccountLinkPlan:
    """What `link_users_in_service` asks for before a prospect write (§3.4).

    action: "none" (no relationship sent), "use_known_id" (send `account_id`, no lookup, no segment
    check) or "lookup_or_insert" (look the message's account up by `account_claims`; insert it with
    the outgoing account mapping when not found; link only, never PATCH one found).
    """

    action: str
    account_id: int | str | None = None
    reason: str = ""


def user_account_link_plan(*, connector: ConnectorSettings, message: dict, is_batch: bool) -> AccountLinkPlan:
    if not connector.link_users_in_service:
        return AccountLinkPlan("none", reason="link_users_in_service is off")
    account = message.get("account") or {}
    known = account_outreach_id(account=account)
    if known is not None:
        return AccountLinkPlan("use_known_id", known, reason="the account's outreach/id is known")
    if not _has_account(account):
        return AccountLinkPlan("none", reason="the user has no account in Hull")
    whitelist = {str(s) for s in connector.synchronized_account_segments or []}
    segments = message.get("account_segments")
    if isinstance(segments, list) and whitelist & {str(s.get("id")) for s in segments if isinstance(s, dict)}:
        return AccountLinkPlan("lookup_or_insert", reason="the account is in a synchronized account segment")
    # A "Send to" export of users carries no account_segments: any account is linked (§3.4, §9.2 item 16).
    if is_batch or not isinstance(segments, list):
        return AccountLinkPlan("lookup_or_insert", reason="a Send to export with an account")
    return AccountLinkPlan(
        "none",
        reason="the user's account has no outreach/id and is not in any synchronized account segment",
    )


def _has_account(account: dict) -> bool:
    return any(not is_empty(v) for k, v in account.items() if k in ("id", "domain", "external_id", "name"))
