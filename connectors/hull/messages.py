"""Hull notifications as Python: validate the wire shape, normalise every message to one shape.

The normalised message (what `sync/` reads, stored in HullMessage.body):

    {"user": {...}, "account": {...}, "segments": [...], "account_segments": [...],
     "changes": {"is_new": bool, "user": {attr: [old, new]}, "account": {attr: [old, new]},
                 "segments": {"entered": [...], "left": [...]},
                 "account_segments": {"entered": [...], "left": [...]}},
     "events": [...], "message_id": str, "is_export": bool}

`traits_` prefixes are stripped from attribute keys everywhere (user, account, changes), so the
sync only ever sees `outreach/id`, never `traits_outreach/id`.
"""

from dataclasses import dataclass, field
from typing import Any

TRAITS_PREFIX = "traits_"

USER_UPDATE = "user:update"
ACCOUNT_UPDATE = "account:update"
SHIP_UPDATE = "ship:update"
# Channels hullreach acts on; ship:update is acknowledged and ignored (our settings live here).
SUPPORTED_CHANNELS = (USER_UPDATE, ACCOUNT_UPDATE, SHIP_UPDATE)
MESSAGE_CHANNELS = (USER_UPDATE, ACCOUNT_UPDATE)

# /batch object types and the entity each becomes.
BATCH_OBJECT_TYPES = {"user": "user", "user_report": "user", "account": "account", "account_report": "account"}


class NotificationInvalid(ValueError):
    """The body is not a Hull notification; the message names the field at fault."""


@dataclass
class ParsedNotification:
    notification_id: str
    channel: str
    is_export: bool
    configuration: dict
    messages: list[dict] = field(default_factory=list)
    user_segments: list[dict] = field(default_factory=list)
    account_segments: list[dict] = field(default_factory=list)

    @property
    def entity(self) -> str:
        return "account" if self.channel == ACCOUNT_UPDATE else "user"


@dataclass
class ParsedBatch:
    url: str
    format: str
    object_type: str
    entity: str
    notification_id: str
    configuration: dict
    user_segments: list[dict] = field(default_factory=list)
    account_segments: list[dict] = field(default_factory=list)


def traits_key_strip(key: str) -> tuple[str, int]:
    """`traits_traits_outreach/title` -> (`outreach/title`, 2): the name and how many prefixes it had."""
    depth = 0
    while key.startswith(TRAITS_PREFIX) and len(key) > len(TRAITS_PREFIX):
        key = key[len(TRAITS_PREFIX) :]
        depth += 1
    return key, depth


def traits_strip(attributes: Any) -> dict:
    """A copy with `traits_` prefixes removed from the keys.

    Hull payloads carry both `traits_outreach/title` and the mistaken `traits_traits_outreach/title`;
    when two keys collapse to one name, the one with fewer prefixes (the real attribute) wins.
    """
    if not isinstance(attributes, dict):
        return {}
    stripped: dict = {}
    depths: dict[str, int] = {}
    for key, value in attributes.items():
        name, depth = traits_key_strip(str(key))
        if name not in stripped or depth < depths[name]:
            stripped[name] = value
            depths[name] = depth
    return stripped


def _segment_list(value: Any) -> list[dict]:
    # Exports send `{}` where a list is expected; anything but a list of objects means "none".
    if not isinstance(value, list):
        return []
    return [s for s in value if isinstance(s, dict)]


def _entered_left(value: Any) -> dict:
    value = value if isinstance(value, dict) else {}
    return {"entered": _segment_list(value.get("entered")), "left": _segment_list(value.get("left"))}


def changes_normalise(changes: Any) -> dict:
    changes = changes if isinstance(changes, dict) else {}
    return {
        "is_new": bool(changes.get("is_new", False)),
        "user": traits_strip(changes.get("user")),
        "account": traits_strip(changes.get("account")),
        "segments": _entered_left(changes.get("segments")),
        "account_segments": _entered_left(changes.get("account_segments")),
    }


def message_normalise(raw: dict, *, is_export: bool) -> dict:
    """One notifier (or export) message in the normalised shape described at the top of this module."""
    return {
        "user": traits_strip(raw.get("user")),
        "account": traits_strip(raw.get("account")),
        "segments": _segment_list(raw.get("segments")),
        "account_segments": _segment_list(raw.get("account_segments")),
        "changes": changes_normalise(raw.get("changes")),
        "events": [e for e in raw.get("events") or [] if isinstance(e, dict)]
        if isinstance(raw.get("events"), list)
        else [],
        "message_id": str(raw.get("message_id") or ""),
        "is_export": is_export,
    }


def message_hull_id(message: dict, *, entity: str) -> str:
    subject = message.get(entity) or {}
    return str(subject.get("id") or "")[:64]


def configuration_from_body(body: Any) -> dict:
    """The `configuration` object Hull puts in notification bodies ({} when absent or not an object)."""
    if isinstance(body, dict) and isinstance(body.get("configuration"), dict):
        return body["configuration"]
    return {}


def notification_parse(body: Any) -> ParsedNotification:
    """Validate a /smart-notifier body and normalise its messages. Raises NotificationInvalid."""
    if not isinstance(body, dict):
        raise NotificationInvalid("the body must be a JSON object")
    channel = body.get("channel")
    if not isinstance(channel, str) or not channel:
        raise NotificationInvalid("channel: required, a string such as 'user:update'")
    notification_id = body.get("notification_id", "")
    if notification_id is None:
        notification_id = ""
    if not isinstance(notification_id, (str, int)):
        raise NotificationInvalid("notification_id: must be a string")
    notification_id = str(notification_id)
    if len(notification_id) > 128:
        raise NotificationInvalid("notification_id: longer than 128 characters")
    is_export = body.get("is_export", False)
    if not isinstance(is_export, bool):
        raise NotificationInvalid("is_export: must be true or false")
    parsed = ParsedNotification(
        notification_id=notification_id,
        channel=channel,
        is_export=is_export,
        configuration=configuration_from_body(body),
        user_segments=_segment_list(body.get("segments")),
        account_segments=_segment_list(body.get("accounts_segments")),
    )
    if channel not in MESSAGE_CHANNELS:
        return parsed  # the view answers unsupported channels and ship:update without messages
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise NotificationInvalid("messages: required, a list of messages")
    subject = parsed.entity
    for index, raw in enumerate(messages):
        if not isinstance(raw, dict):
            raise NotificationInvalid(f"messages[{index}]: must be an object")
        for key in ("user", "account", "changes"):
            if key in raw and raw[key] is not None and not isinstance(raw[key], dict):
                raise NotificationInvalid(f"messages[{index}].{key}: must be an object")
        if not isinstance(raw.get(subject), dict):
            raise NotificationInvalid(f"messages[{index}].{subject}: required for {channel}")
        parsed.messages.append(message_normalise(raw, is_export=is_export))
    return parsed


def batch_parse(body: Any, *, object_type_default: str) -> ParsedBatch:
    """Validate a /batch or /batch-accounts body `{url, format, object_type}`. Raises NotificationInvalid."""
    if not isinstance(body, dict):
        raise NotificationInvalid("the body must be a JSON object")
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise NotificationInvalid("url: required, the http(s) address of the export file")
    file_format = body.get("format", "json")
    if file_format != "json":
        raise NotificationInvalid(f"format: {file_format!r} is not supported, only 'json' (JSON lines)")
    object_type = body.get("object_type") or object_type_default
    if object_type not in BATCH_OBJECT_TYPES:
        raise NotificationInvalid(f"object_type: must be one of {', '.join(BATCH_OBJECT_TYPES)}")
    notification_id = body.get("notification_id") or ""
    return ParsedBatch(
        url=url,
        format=file_format,
        object_type=object_type,
        entity=BATCH_OBJECT_TYPES[object_type],
        notification_id=str(notification_id)[:128],
        configuration=configuration_from_body(body),
        user_segments=_segment_list(body.get("segments")),
        account_segments=_segment_list(body.get("account_segments")),
    )


def batch_line_normalise(
    line: dict, *, entity: str, segments_by_id: dict[str, dict], segment_id: str = ""
) -> dict:
    """One line of a /batch export file as a normalised (export) message.

    A user line is the user with its `account` and `segment_ids`; an account line is the account.
    """
    segment_ids = [str(s) for s in line.get("segment_ids") or [] if s]
    if segment_id and segment_id not in segment_ids:
        segment_ids.append(segment_id)
    segments = [segments_by_id.get(s) or {"id": s, "name": s} for s in segment_ids]
    if entity == "account":
        account = {k: v for k, v in line.items() if k != "segment_ids"}
        raw = {"account": account, "account_segments": segments}
    else:
        user = {k: v for k, v in line.items() if k not in ("account", "segment_ids")}
        raw = {"user": user, "account": line.get("account") or {}, "segments": segments}
    message = message_normalise(raw, is_export=True)
    message["message_id"] = str(line.get("message_id") or "")
    return message
