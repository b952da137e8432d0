"""How Hull finds, creates and merges users and accounts from claims, and applies trait operations.

Users are looked up by `id`, `external_id`, `email`, `anonymous_id` (in that order); accounts by `id`,
`external_id`, `domain`, `anonymous_id`. Unknown identities are created (except from an `id` alone).
When claims point at two different entities they are merged into the first one found, as Hull does
when an anonymous visitor later identifies with an email.
"""

from django.utils import timezone

from connectors.hull.sandbox.models import AnonymousId, Account, Event, Organization, Pending, User, Write

USER_LOOKUP = ("id", "external_id", "email", "anonymous_id")
ACCOUNT_LOOKUP = ("id", "external_id", "domain", "anonymous_id")
# Attributes Hull keeps at the top level of a user (everything else is shown as `traits_<name>`).
USER_TOP_LEVEL = {"name", "first_name", "last_name", "phone", "picture", "address_city", "address_country"}
TRAITS_PREFIX = "traits_"


class FirehoseRejected(ValueError):
    """Hull would not accept this entry (no usable claim, unknown operation)."""


def domain_normalise(domain: str) -> str:
    value = (domain or "").strip().lower()
    for prefix in ("https://", "http://"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    value = value.split("/")[0]
    return value[4:] if value.startswith("www.") else value


def _oldest(queryset):
    """The first-created match. Not `.order_by("id").first()`: with ORDER BY id LIMIT 1, SQLite walks
    the primary key instead of the lookup's index, which scans every row when nothing matches."""
    matches = list(queryset.order_by()[:50])
    return min(matches, key=lambda obj: obj.pk) if matches else None


def _lookup(model, organization: Organization, key: str, value: str):
    queryset = model.objects.filter(organization=organization)
    if key == "id":
        return _oldest(queryset.filter(hull_id=value))
    if key == "email":
        # Hull matches emails without case; an exact match on the lowercased value uses the index
        # (`iexact` would scan every user).
        return _oldest(queryset.filter(email_key=value.strip().lower()))
    if key == "domain":
        return _oldest(queryset.filter(domain=domain_normalise(value)))
    if key == "anonymous_id":
        object_ids = AnonymousId.objects.filter(organization=organization, entity=model.entity, value=value)
        object_id = object_ids.order_by().values_list("object_id", flat=True)[:1]
        return _oldest(queryset.filter(pk__in=list(object_id)))
    return _oldest(queryset.filter(**{key: value}))


# Snapshots (what a notification shows) ------------------------------------------------------------


def user_attributes(user: User) -> dict:
    """The `user` object of a notification message, keys as Hull sends them."""
    attributes = {
        "id": user.hull_id,
        "email": user.email or None,
        "external_id": user.external_id or None,
        "anonymous_ids": list(user.anonymous_ids),
        "domain": user.email.split("@", 1)[1].lower() if "@" in user.email else None,
        "created_at": user.created_at.isoformat().replace("+00:00", "Z"),
    }
    for name, value in user.traits.items():
        attributes[name if name in USER_TOP_LEVEL else TRAITS_PREFIX + name] = value
    return {k: v for k, v in attributes.items() if v is not None}


def account_attributes(account: Account | None) -> dict:
    if account is None:
        return {}
    attributes = {
        "id": account.hull_id,
        "domain": account.domain or None,
        "external_id": account.external_id or None,
        "anonymous_ids": list(account.anonymous_ids),
        "created_at": account.created_at.isoformat().replace("+00:00", "Z"),
        **account.traits,
    }
    return {k: v for k, v in attributes.items() if v is not None}


def snapshot(entity: str, obj) -> dict:
    """How the entity looks now, for computing `changes` later."""
    if entity == "user":
        account = obj.account
        return {
            "attributes": user_attributes(obj),
            "segment_ids": sorted(s.hull_id for s in obj.segments.all()),
            "account": account_attributes(account),
            "account_segment_ids": sorted(s.hull_id for s in account.segments.all()) if account else [],
            "last_event_id": obj.events.order_by("-id").values_list("id", flat=True).first() or 0,
        }
    return {"attributes": account_attributes(obj), "segment_ids": sorted(s.hull_id for s in obj.segments.all())}


def pending_mark(organization: Organization, entity: str, obj, *, created: bool = False) -> None:
    """Remember how `obj` looked before its first change since the last notification."""
    if Pending.objects.filter(organization=organization, entity=entity, object_id=obj.pk).exists():
        return
    Pending.objects.create(
        organization=organization, entity=entity, object_id=obj.pk, before=None if created else snapshot(entity, obj)
    )


# Resolution ------------------------------------------------------------------------------------------


def _resolve(model, entity: str, organization: Organization, claims: dict, lookup_keys) -> tuple:
    claims = {k: str(v) for k, v in (claims or {}).items() if k in lookup_keys and v not in (None, "")}
    if not claims:
        raise FirehoseRejected(f"no {entity} claim among {', '.join(lookup_keys)}")
    found = []
    for key in lookup_keys:
        if key in claims:
            match = _lookup(model, organization, key, claims[key])
            if match is not None and match not in found:
                found.append(match)
    created = False
    if not found:
        if set(claims) == {"id"}:
            raise FirehoseRejected(f"no {entity} with id {claims['id']}")
        obj = model.objects.create(organization=organization)
        pending_mark(organization, entity, obj, created=True)
        created = True
    else:
        obj = found[0]
        pending_mark(organization, entity, obj)
        for other in found[1:]:
            _merge(entity, organization, winner=obj, loser=other)
    changed = False
    if entity == "user":
        if claims.get("email") and not obj.email:
            obj.email, changed = claims["email"].strip(), True
    else:
        if claims.get("domain") and not obj.domain:
            obj.domain, changed = domain_normalise(claims["domain"]), True
    if claims.get("external_id") and not obj.external_id:
        obj.external_id, changed = claims["external_id"], True
    anonymous_id = claims.get("anonymous_id")
    if anonymous_id and anonymous_id not in obj.anonymous_ids:
        obj.anonymous_ids = [*obj.anonymous_ids, anonymous_id]
        changed = True
    if changed or created:
        obj.updated_at = timezone.now()
        obj.save()
    return obj, created


def _merge(entity: str, organization: Organization, *, winner, loser) -> None:
    """Fold `loser` into `winner`: ids, traits (the winner's values kept), segments, links, events."""
    pending_mark(organization, entity, loser)
    winner.anonymous_ids = [*winner.anonymous_ids, *[a for a in loser.anonymous_ids if a not in winner.anonymous_ids]]
    for name, value in loser.traits.items():
        winner.traits.setdefault(name, value)
    if entity == "user":
        winner.email = winner.email or loser.email
        if winner.account_id is None:
            winner.account_id = loser.account_id
        Event.objects.filter(user=loser).update(user=winner)
        Write.objects.filter(user=loser).update(user=winner)
    else:
        winner.domain = winner.domain or loser.domain
        User.objects.filter(account=loser).update(account=winner)
        Write.objects.filter(account=loser).update(account=winner)
    winner.external_id = winner.external_id or loser.external_id
    AnonymousId.objects.filter(organization=organization, entity=entity, object_id=loser.pk).update(object_id=winner.pk)
    winner.save()
    winner.segments.add(*loser.segments.all())
    Pending.objects.filter(organization=organization, entity=entity, object_id=loser.pk).delete()
    loser.delete()


def user_resolve(organization: Organization, claims: dict) -> tuple[User, bool]:
    return _resolve(User, "user", organization, claims, USER_LOOKUP)


def account_resolve(organization: Organization, claims: dict) -> tuple[Account, bool]:
    return _resolve(Account, "account", organization, claims, ACCOUNT_LOOKUP)


# Traits ----------------------------------------------------------------------------------------------


def traits_apply(entity: str, obj, body: dict) -> list[str]:
    """Apply `set` / `setIfNull` operations (plain values mean `set`). Returns the names changed."""
    changed = []
    for key, operation in body.items():
        name = key[len(TRAITS_PREFIX) :] if key.startswith(TRAITS_PREFIX) else key
        if isinstance(operation, dict) and "operation" in operation:
            op, value = operation["operation"], operation.get("value")
        else:
            op, value = "set", operation
        if op not in ("set", "setIfNull"):
            raise FirehoseRejected(f"unsupported operation {op!r} on {key}")
        if entity == "user" and name == "email":
            current = obj.email or None
        elif entity == "account" and name == "domain":
            current = obj.domain or None
        else:
            current = obj.traits.get(name)
        if op == "setIfNull" and current is not None:
            continue
        if value == current:
            continue
        if entity == "user" and name == "email":
            obj.email = value or ""
        elif entity == "account" and name == "domain":
            obj.domain = domain_normalise(value or "")
        elif value is None:
            obj.traits.pop(name, None)  # Hull unsets an attribute written as null
        else:
            obj.traits[name] = value
        changed.append(name)
    if changed:
        obj.updated_at = timezone.now()
        obj.save()
    return changed
