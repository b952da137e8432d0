"""Normal forms for comparing what Hull has with what Outreach has.

Decisions, documented because both sync directions rely on them:
- Emails: surrounding spaces removed and lowercased (Outreach and Hull both match emails
  case-insensitively; we never change the local part's meaning by anything else).
- Domains: spaces, case, a URL scheme (`https://`), a leading `www.`, a port, any path, query or
  fragment and a trailing dot are removed, so `https://WWW.Bluth.com/about` is `bluth.com`. Hull
  normalises account domains the same way, and Outreach stores whatever staff typed.
- For comparing values (`value_canonical`): null, "" and [] are all "empty"; numbers equal their
  decimal text (Outreach custom fields are text, Hull sends numbers); ISO-8601 timestamps compare as
  instants (`…14Z` equals `…14.000Z`); arrays compare as arrays, in order; other text is exact.
"""

import hashlib
import json
import re
from datetime import datetime, timezone
from typing import Any

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")

EMAIL_FIELDS = frozenset({"emails", "email"})
DOMAIN_FIELDS = frozenset({"domain"})


def email_normalize(value: Any) -> str:
    """`"  Alberto@Close.IO "` → `"alberto@close.io"`; None → `""`."""
    if value is None:
        return ""
    return str(value).strip().lower()


def domain_normalize(value: Any) -> str:
    """`"https://WWW.Bluth.com:443/about?x"` → `"bluth.com"`; None → `""`."""
    if value is None:
        return ""
    text = str(value).strip().lower()
    text = _SCHEME.sub("", text)
    text = re.split(r"[/?#]", text, maxsplit=1)[0]
    text = text.rsplit("@", 1)[-1]  # `user@host` in a URL, never part of a domain
    text = text.split(":", 1)[0]
    if text.startswith("www."):
        text = text[4:]
    return text.rstrip(".")


def _scalar_canonical(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        if value == "":
            return None
        if _TIMESTAMP.match(value):
            try:
                moment = datetime.fromisoformat(value.replace(" ", "T", 1))
            except ValueError:
                return value
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.astimezone(timezone.utc).isoformat()
        return value
    if isinstance(value, dict):
        return {str(k): value_canonical(field=str(k), value=v) for k, v in sorted(value.items())}
    return str(value)


def value_canonical(*, field: str, value: Any) -> Any:
    """The form of an Outreach field's value used for comparisons and digests (see module doc)."""
    name = field.rsplit(".", 1)[-1]
    if field.startswith("relationships."):
        return None if value in (None, "") else str(value)
    if isinstance(value, (list, tuple)):
        items = [value_canonical(field=field, value=v) for v in value]
        return items or None
    if name in EMAIL_FIELDS:
        return email_normalize(value) or None
    if name in DOMAIN_FIELDS:
        return domain_normalize(value) or None
    return _scalar_canonical(value)


def values_canonical(values: dict) -> dict:
    return {key: value_canonical(field=key, value=value) for key, value in values.items()}


def values_digest(values: dict) -> str:
    """A stable sha256 (hex) of the canonical JSON of `values`: equal for values that compare equal."""
    text = json.dumps(values_canonical(values), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_empty(value: Any) -> bool:
    """The original's notion of a missing Hull value: absent, null or "" (0 and False are values)."""
    return value is None or value == ""
