"""Which Hull messages go to Outreach: the original's pre-filter (§3.2.1, §3.3, §10.1, §10.2), in its order.

Each decision carries a `code` for the sync layer and a `reason` a staff member can act on, written to
`outgoing.user.skip` / `outgoing.account.skip`. Skip reasons keep the original's wording (staff know
it from Hull) and add what it lacked: the names involved.
"""

import re
from dataclasses import dataclass, field

from sync.rules.identity import account_outreach_id, user_outreach_id
from sync.rules.normalize import email_normalize, is_empty
from sync.rules.settings import ConnectorSettings, mappings_read

# Decision codes.
BATCH = "batch"
NOT_IN_SEGMENTS = "not_in_segments"
ENTERED_SEGMENT = "entered_segment"
ACCOUNT_LINK_CHANGED = "account_link_changed"
NO_OUTGOING_ATTRIBUTES = "no_outgoing_attributes"
NEVER_SYNCED = "never_synced"
MAPPED_CHANGE = "mapped_change"
NO_MAPPED_CHANGES = "no_mapped_changes"
NO_CHANGES = "no_changes"

_INDEX_SUFFIX = re.compile(r"\[\d+\]$")


@dataclass(frozen=True)
class OutgoingDecision:
    send: bool
    code: str
    reason: str
    # For mapped_change: the mapped Hull attributes that changed.
    changed: tuple[str, ...] = field(default=())


def _segment_ids(segments) -> set[str]:
    if not isinstance(segments, list):
        return set()
    return {str(s["id"]) for s in segments if isinstance(s, dict) and s.get("id")}


def _segment_names(segments, ids: set[str] | None = None) -> list[str]:
    if not isinstance(segments, list):
        return []
    return [
        str(s.get("name") or s.get("id"))
        for s in segments
        if isinstance(s, dict) and (ids is None or str(s.get("id")) in ids)
    ]


def _listing(names) -> str:
    return ", ".join(names) if names else "none"


def _changes(message: dict) -> dict:
    changes = message.get("changes")
    return changes if isinstance(changes, dict) else {}


def _entered(changes: dict, key: str) -> list:
    value = changes.get(key)
    return value.get("entered") or [] if isinstance(value, dict) else []


def _changed_names(changes: dict, *, user_level: bool) -> list[str]:
    """Changed attribute names; for users, account changes count as `account.<attr>` (§3.2.1 item 7)."""
    names: list[str] = []
    if user_level:
        names += [_INDEX_SUFFIX.sub("", k) for k in (changes.get("user") or {})]
        names += ["account." + _INDEX_SUFFIX.sub("", k) for k in (changes.get("account") or {})]
    else:
        names += [_INDEX_SUFFIX.sub("", k) for k in (changes.get("account") or {})]
    return list(dict.fromkeys(names))


def user_outgoing_decision(
    *, connector: ConnectorSettings, message: dict, is_batch: bool, has_link: bool = False
) -> OutgoingDecision:
    """Send this user:update message to Outreach as a prospect? (§10.1)

    `is_batch`: a "Send to" export (`is_export`) or a /batch file; it bypasses every check.
    `has_link`: hullreach already holds an IdLink for this user, so it was synced before even if
    Hull's `outreach/id` has not arrived yet.
    """
    whitelist = {str(s) for s in connector.synchronized_user_segments or []}
    if is_batch:
        return OutgoingDecision(True, BATCH, "sent by a Send to export or batch, which bypasses the filters")
    segments = message.get("segments")
    if not (_segment_ids(segments) & whitelist):
        return OutgoingDecision(
            False,
            NOT_IN_SEGMENTS,
            "User is not present in any of the defined segments to send to service. Please either add a new "
            "synchronized segment which the user is present in the settings page, or add the user to an "
            f"existing synchronized segment. The user's segments: {_listing(_segment_names(segments))}.",
        )
    changes = _changes(message)
    entered = _entered(changes, "segments")
    entered_ids = _segment_ids(entered) & whitelist
    if entered_ids:
        return OutgoingDecision(
            True, ENTERED_SEGMENT, f"entered the synchronized segment {_listing(_segment_names(entered, entered_ids))}"
        )
    if connector.link_users_in_service:
        account_changes = changes.get("account") or {}
        new_account = account_changes.get("id")
        if (isinstance(new_account, list) and new_account and not is_empty(new_account[-1])) or (
            "outreach/id" in account_changes
        ):
            return OutgoingDecision(True, ACCOUNT_LINK_CHANGED, "the user's account or its outreach/id changed")
    mapped = [m["hull"] for m in mappings_read(connector=connector, setting="outgoing_user_attributes")]
    if not mapped:
        return OutgoingDecision(
            False,
            NO_OUTGOING_ATTRIBUTES,
            "There are no outgoing attributes to synchronize for users. Please go to the settings page and add "
            "outgoing user attributes to synchronize.",
        )
    if not has_link and user_outreach_id(user=message.get("user") or {}) is None:
        return OutgoingDecision(True, NEVER_SYNCED, "never sent to Outreach before (no outreach/id)")
    return _mapped_change_decision(_changed_names(changes, user_level=True), mapped, subject="user")


def account_outgoing_decision(
    *, connector: ConnectorSettings, message: dict, is_batch: bool, has_link: bool = False
) -> OutgoingDecision:
    """Send this account:update message to Outreach as an account? (§10.2)"""
    whitelist = {str(s) for s in connector.synchronized_account_segments or []}
    if is_batch:
        return OutgoingDecision(True, BATCH, "sent by a Send to export or batch, which bypasses the filters")
    segments = message.get("account_segments")
    if not (_segment_ids(segments) & whitelist):
        return OutgoingDecision(
            False,
            NOT_IN_SEGMENTS,
            "Account is not present in any of the defined segments to send to service. Please either add a new "
            "synchronized segment which the account is present in the settings page, or add the account to an "
            f"existing synchronized segment. The account's segments: {_listing(_segment_names(segments))}.",
        )
    changes = _changes(message)
    entered = _entered(changes, "account_segments")
    entered_ids = _segment_ids(entered) & whitelist
    if entered_ids:
        return OutgoingDecision(
            True,
            ENTERED_SEGMENT,
            f"entered the synchronized account segment {_listing(_segment_names(entered, entered_ids))}",
        )
    mapped = [m["hull"] for m in mappings_read(connector=connector, setting="outgoing_account_attributes")]
    if not mapped:
        return OutgoingDecision(
            False,
            NO_OUTGOING_ATTRIBUTES,
            "There are no outgoing attributes to synchronize for account. Please go to the settings page and add "
            "outgoing account attributes to synchronize.",
        )
    if not has_link and account_outreach_id(account=message.get("account") or {}) is None:
        return OutgoingDecision(True, NEVER_SYNCED, "never sent to Outreach before (no outreach/id)")
    return _mapped_change_decision(_changed_names(changes, user_level=False), mapped, subject="account")


def _mapped_change_decision(changed: list[str], mapped: list[str], *, subject: str) -> OutgoingDecision:
    if not changed:
        return OutgoingDecision(False, NO_CHANGES, f"No changes on any of the attributes for this {subject}.")
    hits = tuple(name for name in changed if name in set(mapped))
    if hits:
        return OutgoingDecision(True, MAPPED_CHANGE, f"synchronized attributes changed: {', '.join(hits)}", hits)
    return OutgoingDecision(
        False,
        NO_MAPPED_CHANGES,
        f"No changes on any of the synchronized attributes for this {subject}. If you think this is a mistake, "
        f"please check the settings page for the synchronized {subject} attributes to ensure that the attribute "
        f"which changed is in the synchronized outgoing attributes. Changed: {', '.join(changed)}.",
    )


def user_email_change(*, message: dict) -> str | None:
    """The user's new email when `changes.user.email` says it changed (so existing emails are read first)."""
    change = (_changes(message).get("user") or {}).get("email")
    if isinstance(change, list) and len(change) == 2 and not is_empty(change[1]):
        old, new = change
        if email_normalize(old) != email_normalize(new):
            return new
    return None


def user_needs_email_from_outreach(*, message: dict) -> bool:
    """§3.7: a Hull user created by a `prospect.created` webhook, with its Outreach id but no email yet.

    The sync layer reads that prospect (`GET /prospects/{id}`) and writes it back to Hull, even when
    the message was skipped by the segment filter, so the user gets its email.
    """
    user = message.get("user") or {}
    return (
        _changes(message).get("is_new") is True
        and is_empty(user.get("email"))
        and user.get("outreach/created_by_webhook") is True
        and user_outreach_id(user=user) is not None
    )
