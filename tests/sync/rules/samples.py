"""Wire samples for the rules tests: the shared fixtures, shaped as the rules receive them.

Hull's notification parser strips one `traits_` prefix from user keys and `changes.user` keys before
the rules see a message; `hull_messages` does the same here so the tests use the real payloads.
"""

import json
from functools import cache

from sync.rules.settings import RuleSettings
from sync.settings_io import trait_name_normalize
from tests.conftest import FIXTURES


def _strip(key: str) -> str:
    return key[len("traits_") :] if key.startswith("traits_") else key


def _message(raw: dict) -> dict:
    message = json.loads(json.dumps(raw))
    if isinstance(message.get("user"), dict):
        message["user"] = {_strip(k): v for k, v in message["user"].items()}
    changes = message.get("changes")
    if isinstance(changes, dict) and isinstance(changes.get("user"), dict):
        changes["user"] = {_strip(k): v for k, v in changes["user"].items()}
    return message


@cache
def _notification(name: str) -> dict:
    return json.loads((FIXTURES / "notifier-payloads" / f"{name}.json").read_text())


def hull_messages(name: str) -> list[dict]:
    """The messages of a notifier fixture, with `traits_` stripped as the Hull parser does."""
    data = _notification(name)
    raw = data["messages"] if isinstance(data, dict) else data
    return [_message(m) for m in raw]


def fixture_settings(name: str, **overrides) -> RuleSettings:
    """The connector settings a notifier fixture carries, as the rules read them."""
    private = dict(_notification(name)["connector"]["private_settings"])
    fields = {}
    for key in RuleSettings.__dataclass_fields__:
        if key in private and private[key] is not None:
            value = private[key]
            if key.endswith("_attributes") or key.endswith("_claims"):
                value = [{"hull": trait_name_normalize(m["hull"]), "service": m["service"]} for m in value]
            fields[key] = value
    fields.update(overrides)
    return RuleSettings(**fields)


def webhook(name: str) -> dict:
    """A webhook payload: `{"data": resource, "meta": {...}}`."""
    return json.loads((FIXTURES / "webhook-payloads" / f"{name}.json").read_text())


def api_response(name: str) -> dict:
    return json.loads((FIXTURES / "api-responses" / f"{name}.json").read_text())


def segment(segment_id: str, name: str) -> dict:
    return {"id": segment_id, "name": name, "type": "users_segment"}
