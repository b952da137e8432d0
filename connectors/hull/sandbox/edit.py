"""Changes a person makes in the sandbox (admin pages, tests): recorded so the notifier reports them."""

from django.utils import timezone

from connectors.hull.sandbox.identity import domain_normalise, pending_mark, traits_apply
from connectors.hull.sandbox.models import Account, Organization, Segment, User

UNSET = object()


def segment_ensure(organization: Organization, *, name: str, entity: str = "user") -> Segment:
    segment, _ = Segment.objects.get_or_create(organization=organization, entity=entity, name=name)
    return segment


def user_create(
    organization: Organization,
    *,
    email: str = "",
    external_id: str = "",
    anonymous_ids: list[str] | None = None,
    traits: dict | None = None,
    segments: list[Segment] = (),
    account: Account | None = None,
    notify: bool = False,
) -> User:
    """A user as it already is in Hull (`notify=True`: as if just created, reported with is_new)."""
    user = User.objects.create(
        organization=organization,
        email=email,
        external_id=external_id,
        anonymous_ids=list(anonymous_ids or []),
        traits=dict(traits or {}),
        account=account,
    )
    user.segments.add(*segments)
    if notify:
        pending_mark(organization, "user", user, created=True)
    return user


def account_create(
    organization: Organization,
    *,
    domain: str = "",
    external_id: str = "",
    anonymous_ids: list[str] | None = None,
    traits: dict | None = None,
    segments: list[Segment] = (),
    notify: bool = False,
) -> Account:
    account = Account.objects.create(
        organization=organization,
        domain=domain_normalise(domain),
        external_id=external_id,
        anonymous_ids=list(anonymous_ids or []),
        traits=dict(traits or {}),
    )
    account.segments.add(*segments)
    if notify:
        pending_mark(organization, "account", account, created=True)
    return account


def user_edit(
    user: User,
    *,
    traits: dict | None = None,
    segments_add: list[Segment] = (),
    segments_remove: list[Segment] = (),
    account=UNSET,
) -> User:
    """Set traits (None unsets), move between segments, link to an account (None unlinks)."""
    pending_mark(user.organization, "user", user)
    if traits:
        traits_apply("user", user, traits)
    if segments_add:
        user.segments.add(*segments_add)
    if segments_remove:
        user.segments.remove(*segments_remove)
    if account is not UNSET:
        user.account = account
    user.updated_at = timezone.now()
    user.save()
    return user


def account_edit(
    account: Account, *, traits: dict | None = None, segments_add: list[Segment] = (), segments_remove: list[Segment] = ()
) -> Account:
    pending_mark(account.organization, "account", account)
    if traits:
        traits_apply("account", account, traits)
    if segments_add:
        account.segments.add(*segments_add)
    if segments_remove:
        account.segments.remove(*segments_remove)
    account.updated_at = timezone.now()
    account.save()
    return account
