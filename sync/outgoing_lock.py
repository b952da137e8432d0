"""A per-identity lock held across "look it up in Outreach, create it if missing".

Two messages about the same new person (two notifications handled by two workers at once) would
otherwise both miss on the lookup and both POST, making two prospects. The lock is a row with a
unique key (sync.models.IdentityLock): inserting it is atomic on SQLite and PostgreSQL alike and
visible to every worker process, which a cache lock on LocMemCache would not be.
"""

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from sync.models import Connector, IdentityLock

# Longer than a lookup and a create with the client's retries and a short rate wait.
LOCK_TTL_SECONDS = 300
LOCK_WAIT_SECONDS = 30.0
LOCK_POLL_SECONDS = 0.05


class IdentityBusy(Exception):
    """Another worker held the identity for longer than we wait: retry the message later."""


@contextmanager
def identity_lock(
    *,
    connector: Connector,
    entity: str,
    identity: str,
    wait_seconds: float | None = None,
    sleep=time.sleep,
) -> Iterator[None]:
    """Hold the lock on (connector, entity, identity) for the `with` block. Raises IdentityBusy."""
    identity = identity[:255]
    holder = uuid.uuid4().hex
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds)
    while True:
        now = timezone.now()
        try:
            with transaction.atomic():
                IdentityLock.objects.create(
                    connector=connector,
                    entity=entity,
                    identity=identity,
                    holder=holder,
                    expires_at=now + timedelta(seconds=LOCK_TTL_SECONDS),
                )
            break
        except IntegrityError:
            # A holder that died leaves an expired row: take it over.
            IdentityLock.objects.filter(
                connector=connector, entity=entity, identity=identity, expires_at__lt=now
            ).delete()
            if time.monotonic() >= deadline:
                raise IdentityBusy(
                    f"another worker is creating the {entity} {identity!r} in Outreach; this message is retried"
                ) from None
            sleep(LOCK_POLL_SECONDS)
    try:
        yield
    finally:
        IdentityLock.objects.filter(connector=connector, entity=entity, identity=identity, holder=holder).delete()
