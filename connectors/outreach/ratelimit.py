"""The Outreach request budget (10,000 per hour per Outreach user), shared by every worker.

Outreach counts requests per user in fixed one-hour windows and answers 429 once they are spent.
Every process claims a numbered slot in the current window through the Django cache (an atomic
`incr`, on Redis or locmem), so all workers together never exceed the limit. The first tenth of a
window's budget may go at once; the rest is spread evenly over the window, so a long sync spends
the budget steadily instead of spending it in ten minutes and then receiving 429s for fifty.

Outreach's own headers correct our view: `X-RateLimit-Remaining: 0` (the first value of a list such
as "9999, 19988") with `X-RateLimit-Reset` blocks every worker until that reset, and a lower
`X-RateLimit-Limit` lowers ours.
"""

import base64
import json
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache as default_cache

from connectors.outreach.clock import clock_default


class BudgetExhausted(Exception):
    """The budget is spent until `reset_at` (epoch seconds) and the caller would not wait that long."""

    def __init__(self, reset_at: float):
        super().__init__(f"Outreach request budget spent until {reset_at:.0f}")
        self.reset_at = reset_at

HOUR = 3600.0


@dataclass(frozen=True)
class RateHeaders:
    limit: int | None
    remaining: int | None
    reset_at: float | None  # epoch seconds


def _first_int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(float(str(value).split(",")[0].strip()))
    except ValueError:
        return None


def rate_headers_parse(headers) -> RateHeaders:
    """`X-RateLimit-*` as numbers; a comma-separated Remaining counts by its first value."""
    return RateHeaders(
        limit=_first_int(headers.get("X-RateLimit-Limit")),
        remaining=_first_int(headers.get("X-RateLimit-Remaining")),
        reset_at=_first_int(headers.get("X-RateLimit-Reset")),
    )


class RateBudget:
    """A shared budget of `limit` requests per `window_seconds`, for one Outreach user."""

    def __init__(
        self,
        key: str,
        *,
        limit: int | None = None,
        window_seconds: float = HOUR,
        clock=None,
        cache=None,
        burst_share: float = 0.1,
    ):
        self.key = f"outreach:budget:{key}"
        self.limit = limit or settings.OUTREACH_RATE_LIMIT_PER_HOUR
        self.window_seconds = window_seconds
        self.clock = clock or clock_default()
        self.cache = cache or default_cache
        self.burst_share = burst_share
        self.waited_seconds = 0.0

    def _effective_limit(self) -> int:
        server_limit = self.cache.get(f"{self.key}:limit")
        return min(self.limit, server_limit) if server_limit else self.limit

    def _slot_claim(self, window: int) -> int:
        key = f"{self.key}:w:{window}"
        self.cache.add(key, 0, timeout=int(self.window_seconds * 2) + 60)
        try:
            return self.cache.incr(key)
        except ValueError:  # expired between add and incr
            self.cache.add(key, 1, timeout=int(self.window_seconds * 2) + 60)
            return 1

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.waited_seconds += seconds
            self.clock.sleep(seconds)

    def acquire(self, *, max_wait: float | None = None) -> None:
        """Block until this process may send one request.

        With `max_wait`, a wait longer than that raises BudgetExhausted instead: a job should give
        its worker back and run again at the reset rather than sleep for most of an hour.
        """
        while True:
            now = self.clock.time()
            blocked_until = self.cache.get(f"{self.key}:blocked_until")
            if blocked_until and blocked_until > now:
                self._wait_or_raise(blocked_until, now, max_wait)
                continue
            limit = self._effective_limit()
            window = math.floor(now / self.window_seconds)
            window_start = window * self.window_seconds
            slot = self._slot_claim(window)
            if slot > limit:
                self._wait_or_raise(window_start + self.window_seconds, now, max_wait)
                continue
            burst = max(1, int(limit * self.burst_share))
            if slot > burst:
                spacing = self.window_seconds / max(1, limit - burst + 1)
                self._sleep(window_start + (slot - burst) * spacing - now)
            return

    def _wait_or_raise(self, until: float, now: float, max_wait: float | None) -> None:
        if max_wait is not None and until - now > max_wait:
            raise BudgetExhausted(until)
        self._sleep(until - now)

    def observe(self, headers) -> RateHeaders:
        """Learn from a response's rate-limit headers."""
        parsed = rate_headers_parse(headers)
        now = self.clock.time()
        if parsed.limit is not None or parsed.remaining is not None:
            # What Outreach last said, for the console (it also counts other integrations' requests).
            last = {"limit": parsed.limit, "remaining": parsed.remaining, "reset_at": parsed.reset_at, "at": now}
            self.cache.set(f"{self.key}:last", last, timeout=int(self.window_seconds) + 60)
        if parsed.limit:
            self.cache.set(f"{self.key}:limit", parsed.limit, timeout=int(self.window_seconds) + 60)
        if parsed.remaining is not None and parsed.remaining <= 0 and parsed.reset_at and parsed.reset_at > now:
            self.block_until(parsed.reset_at)
        return parsed

    def usage(self) -> tuple[int, int, dict | None]:
        """(requests claimed by our workers in the current window, effective limit, last headers or None)."""
        now = self.clock.time()
        window = math.floor(now / self.window_seconds)
        used = int(self.cache.get(f"{self.key}:w:{window}") or 0)
        return used, self._effective_limit(), self.cache.get(f"{self.key}:last")

    def block_until(self, reset_at: float) -> None:
        """Nobody sends until `reset_at` (after a 429 or a Remaining of 0)."""
        now = self.clock.time()
        self.cache.set(f"{self.key}:blocked_until", reset_at, timeout=max(1, int(reset_at - now) + 5))


def outreach_user_key(access_token: str) -> str | None:
    """Which Outreach user a token belongs to, when it says so.

    Outreach's access tokens are JWTs whose payload names the instance (`bento`) and the user
    (`org_user_id`, `sub`). Outreach counts the budget per user, so two connectors authorized by the
    same user share one budget. Read without verification: it only chooses a counter.
    """
    parts = (access_token or "").split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(payload, dict):
        return None
    user = payload.get("org_user_id") or payload.get("sub")
    if user in (None, ""):
        return None
    return f"{payload.get('bento') or payload.get('aud') or 'outreach'}:{user}"


def rate_budget_for(connector, *, clock=None, limit: int | None = None, window_seconds: float = HOUR) -> RateBudget:
    """The budget of the Outreach user behind this connector's tokens (else one per connector)."""
    user = outreach_user_key(connector.outreach_access_token)
    key = f"outreach-user:{user}" if user else f"connector:{connector.pk}"
    return RateBudget(key, limit=limit, window_seconds=window_seconds, clock=clock)
