"""Hull access tokens: the HS256 JWT each firehose entry carries in `Hull-Access-Token`.

Hull accepts only some claim keys (its client's `filter-claims`): anything else is dropped here, so a
mapping mistake cannot smuggle an unknown key into Hull's identity resolution.
"""

import time
import warnings
from typing import Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning

USER_CLAIM_KEYS = ("id", "email", "external_id", "anonymous_id")
ACCOUNT_CLAIM_KEYS = ("id", "external_id", "domain", "anonymous_id")
AS_USER = "io.hull.asUser"
AS_ACCOUNT = "io.hull.asAccount"
SUBJECT_TYPE = "io.hull.subjectType"
ALGORITHM = "HS256"


class ClaimsInvalid(ValueError):
    """No usable identity: Hull would reject the entry, so we refuse to send it."""


def claims_filter(claims: dict | None, *, subject: str) -> dict:
    """Only the keys Hull accepts for `subject` ("user" or "account"), without empty values."""
    allowed = USER_CLAIM_KEYS if subject == "user" else ACCOUNT_CLAIM_KEYS
    filtered = {}
    for key in allowed:
        value = (claims or {}).get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        filtered[key] = value if isinstance(value, str) else str(value)
    return filtered


def access_token_claims(
    *, connector_id: str, as_user: dict | None, as_account: dict | None, subject_type: str, iat: int | None = None
) -> dict:
    claims: dict[str, Any] = {"iss": connector_id, "iat": int(time.time()) if iat is None else iat}
    if as_user is not None:
        user = claims_filter(as_user, subject="user")
        if not user:
            raise ClaimsInvalid(f"no user claim among {', '.join(USER_CLAIM_KEYS)}: {sorted(as_user)}")
        claims[AS_USER] = user
    if as_account is not None:
        account = claims_filter(as_account, subject="account")
        if not account:
            raise ClaimsInvalid(f"no account claim among {', '.join(ACCOUNT_CLAIM_KEYS)}: {sorted(as_account)}")
        claims[AS_ACCOUNT] = account
    if AS_USER not in claims and AS_ACCOUNT not in claims:
        raise ClaimsInvalid("an entry needs user or account claims")
    claims[SUBJECT_TYPE] = subject_type
    return claims


def access_token_encode(claims: dict, *, secret: str) -> str:
    # Hull issues the connector secret; its length is not ours to choose.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm=ALGORITHM)


def access_token_decode(token: str, *, secret: str) -> dict:
    """The verified claims. Raises jwt.InvalidTokenError (bad signature, wrong algorithm, garbage)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["iss", "iat"]})
