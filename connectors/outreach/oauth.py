"""OAuth 2.0 with Outreach: connect a connector, exchange the code, refresh rotating tokens.

Outreach access tokens live two hours and every refresh returns a NEW refresh token (the old one
stops working after 14 days or 100 issuances), so the rotated one is saved every time. Two workers
needing a refresh at once must not both spend the refresh token: the connector row is locked and
re-read, and the second worker finds the first one's fresh token.
"""

import logging
import secrets
import threading
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from connectors.outreach import http
from connectors.outreach.errors import OutreachError, OutreachRateLimited, OutreachTransient, OutreachUnauthorized
from sync.choices import AuthStatus, Level
from sync.logs import sync_log
from sync.models import Connector

logger = logging.getLogger(__name__)

SCOPES = [
    "prospects.all",
    "accounts.all",
    "webhooks.all",
    "users.read",
    "stages.read",
    "events.read",
    "mailings.read",
    "sequences.read",
]
STATE_SALT = "hullreach.outreach.oauth"
STATE_MAX_AGE_SECONDS = 15 * 60
SESSION_NONCE_KEY = "outreach_oauth_nonce"
# Refresh this long before expiry, so no request goes out with a token about to die.
REFRESH_AHEAD = timedelta(minutes=5)

# One refresh at a time per connector inside a process; the row lock does it across processes.
_local_locks: dict[int, threading.Lock] = {}
_local_locks_guard = threading.Lock()


def _local_lock(connector_id: int) -> threading.Lock:
    with _local_locks_guard:
        return _local_locks.setdefault(connector_id, threading.Lock())


def oauth_authorize_url(*, connector: Connector, session) -> str:
    """Outreach's consent page; `state` is signed and bound to this staff session and connector."""
    nonce = secrets.token_urlsafe(24)
    session[SESSION_NONCE_KEY] = nonce
    state = signing.dumps({"connector": connector.pk, "nonce": nonce}, salt=STATE_SALT)
    query = urlencode(
        {
            "client_id": settings.OUTREACH_CLIENT_ID,
            "redirect_uri": settings.OUTREACH_REDIRECT_URL,
            "response_type": "code",
            "scope": " ".join(SCOPES),
            "state": state,
        }
    )
    # Reference: https://developers.outreach.io/api/oauth/
    return f"{http.oauth_url('authorize')}?{query}"


def oauth_state_check(*, state: str, session) -> int:
    """The connector id the state was issued for; ValueError when forged, expired or from another session."""
    try:
        data = signing.loads(state or "", salt=STATE_SALT, max_age=STATE_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise ValueError("The authorization took too long; please connect again.") from exc
    except signing.BadSignature as exc:
        raise ValueError("The authorization response was not issued for this session.") from exc
    expected = session.pop(SESSION_NONCE_KEY, None)
    if not expected or not secrets.compare_digest(str(data.get("nonce", "")), expected):
        raise ValueError("The authorization response was not issued for this session.")
    return int(data["connector"])


def token_post(*, data: dict) -> dict:
    """POST the token endpoint. invalid_grant -> OutreachUnauthorized; 429 -> rate limited; else transient."""
    body = {
        "client_id": settings.OUTREACH_CLIENT_ID,
        "client_secret": settings.OUTREACH_CLIENT_SECRET,
        "redirect_uri": settings.OUTREACH_REDIRECT_URL,
        **data,
    }
    session = http.session_create()
    try:
        # Reference: https://developers.outreach.io/api/oauth/#refresh-an-access-token
        response = session.post(
            http.oauth_url("token"),
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            timeout=http.timeouts(),
        )
    except requests.RequestException as exc:
        raise OutreachTransient(f"Outreach token endpoint unreachable: {type(exc).__name__}") from exc
    finally:
        session.close()
    if response.status_code == 200:
        payload = response.json()
        if not payload.get("access_token"):
            raise OutreachTransient("Outreach token endpoint answered without an access token")
        return payload
    if response.status_code == 429:
        raise OutreachRateLimited(
            "Outreach token endpoint: Retry later",
            reset_at=datetime.now(dt_timezone.utc) + timedelta(seconds=60),
        )
    if response.status_code >= 500:
        raise OutreachTransient(f"Outreach token endpoint answered {response.status_code}", status=response.status_code)
    try:
        error = response.json()
    except ValueError:
        error = {"error": response.text[:200]}
    reason = error.get("error_description") or error.get("error") or f"HTTP {response.status_code}"
    raise OutreachUnauthorized(f"Outreach refused the grant: {error.get('error', '')} {reason}".strip(), status=response.status_code)


def token_apply(connector: Connector, payload: dict) -> None:
    """Copy a token response onto the connector (not saved)."""
    connector.outreach_access_token = payload["access_token"]
    if payload.get("refresh_token"):
        connector.outreach_refresh_token = payload["refresh_token"]
    created = payload.get("created_at")
    issued = datetime.fromtimestamp(created, dt_timezone.utc) if created else timezone.now()
    connector.outreach_token_expires_at = issued + timedelta(seconds=int(payload.get("expires_in") or 7200))
    connector.outreach_auth_status = AuthStatus.OK
    connector.outreach_auth_error = ""


TOKEN_FIELDS = [
    "outreach_access_token",
    "outreach_refresh_token",
    "outreach_token_expires_at",
    "outreach_auth_status",
    "outreach_auth_error",
    "updated_at",
]


def connector_needs_reauth(*, connector: Connector, reason: str) -> None:
    """Mark the connector 'needs re-authorization' (visible in the admin; its jobs wait)."""
    Connector.objects.filter(pk=connector.pk).update(
        outreach_auth_status=AuthStatus.NEEDS_REAUTH, outreach_auth_error=reason[:1000], updated_at=timezone.now()
    )
    connector.outreach_auth_status = AuthStatus.NEEDS_REAUTH
    connector.outreach_auth_error = reason[:1000]
    sync_log(connector=connector, event="connector.oauth.error", level=Level.ERROR, message=reason)


def token_expiring(connector: Connector, *, now: datetime | None = None) -> bool:
    expires = connector.outreach_token_expires_at
    return expires is None or expires - REFRESH_AHEAD <= (now or timezone.now())


def outreach_token_refresh(*, connector: Connector, failed_access_token: str | None = None) -> str:
    """A usable access token, refreshing it at most once however many workers ask at the same time.

    `failed_access_token` is the token the caller saw fail (or expire): if the stored one differs and
    is fresh, another worker already refreshed and no token request is made.
    """
    reauth_reason = None
    with _local_lock(connector.pk), transaction.atomic():
        row = Connector.objects.select_for_update().get(pk=connector.pk)
        if row.outreach_auth_status == AuthStatus.NEEDS_REAUTH:
            reauth_reason = row.outreach_auth_error or "Outreach needs re-authorization"
        elif (
            row.outreach_access_token
            and row.outreach_access_token != failed_access_token
            and not token_expiring(row)
        ):
            token_copy(source=row, target=connector)
            return row.outreach_access_token
        elif not row.outreach_refresh_token:
            reauth_reason = "No Outreach refresh token: connect Outreach again."
        else:
            try:
                payload = token_post(data={"grant_type": "refresh_token", "refresh_token": row.outreach_refresh_token})
            except OutreachUnauthorized as exc:
                reauth_reason = f"Outreach refused the refresh token ({exc}): connect Outreach again."
            else:
                token_apply(row, payload)
                row.save(update_fields=TOKEN_FIELDS)
                token_copy(source=row, target=connector)
                return row.outreach_access_token
    connector_needs_reauth(connector=connector, reason=reauth_reason)
    raise OutreachUnauthorized(reauth_reason, status=401)


def token_copy(*, source: Connector, target: Connector) -> None:
    for field in TOKEN_FIELDS[:-1]:
        setattr(target, field, getattr(source, field))


def oauth_code_exchange(*, connector: Connector, code: str) -> Connector:
    """The OAuth callback's work: store the tokens, resume waiting jobs, provision the webhook."""
    from connectors.outreach.webhooks import webhook_ensure
    from sync.jobs import jobs_resume_waiting

    payload = token_post(data={"grant_type": "authorization_code", "code": code})
    with transaction.atomic():
        row = Connector.objects.select_for_update().get(pk=connector.pk)
        token_apply(row, payload)
        row.save(update_fields=TOKEN_FIELDS)
    token_copy(source=row, target=connector)
    sync_log(
        connector=connector,
        event="connector.oauth.success",
        message="Outreach authorized",
        payload={"scope": payload.get("scope", "")},
    )
    jobs_resume_waiting(connector)
    try:
        webhook_ensure(connector=connector)
    except OutreachError as exc:  # the schedule provisions it again; the connection itself worked
        logger.warning("webhook provisioning after OAuth failed for %s: %s", connector, exc)
    return connector
