"""The endpoints Hull calls: /smart-notifier, /batch, /batch-accounts, /status. Thin: check, store, answer."""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.decorators import api_view
from rest_framework.response import Response

from connectors.hull import flow_control
from connectors.hull.messages import (
    MESSAGE_CHANNELS,
    SUPPORTED_CHANNELS,
    NotificationInvalid,
    batch_parse,
    configuration_from_body,
    notification_parse,
)
from sync.api.auth import connector_authenticate
from sync.api.status import connector_hull_status
from sync.notifications import (
    batch_store,
    connector_intake_refusal,
    notification_already_stored,
    notification_store,
)


class BodyError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _error(status: int, message: str) -> Response:
    return Response({"error": message}, status=status)


def _body(request, *, required: bool) -> object:
    """The JSON body, or BodyError 413 (too large) / 400 (not JSON)."""
    limit = settings.HULL_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise BodyError(413, f"the body is larger than {limit} bytes")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise BodyError(413, f"the body is larger than {limit} bytes") from None
    if len(raw) > limit:
        raise BodyError(413, f"the body is larger than {limit} bytes")
    if not raw.strip():
        if required:
            raise BodyError(400, "the body is empty: expected a JSON object")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyError(400, f"the body is not valid JSON: {exc}") from None


def _connector(request, body, *, query_allowed: bool):
    configuration = configuration_from_body(body)
    if configuration:
        credentials = (configuration.get("id"), configuration.get("organization"), configuration.get("secret"))
    elif query_allowed:
        credentials = (request.GET.get("ship"), request.GET.get("organization"), request.GET.get("secret"))
    else:
        credentials = (None, None, None)
    return connector_authenticate(hull_id=credentials[0], organization=credentials[1], secret=credentials[2])


def _flow(status_and_answer: tuple[int, dict]) -> Response:
    status, answer = status_and_answer
    return Response(answer, status=status)


def _refused(connector):
    refusal = connector_intake_refusal(connector=connector)
    if refusal is None:
        return None
    return _flow(flow_control.answer_retry(transient=refusal.transient, message=refusal.reason))


UNAUTHORIZED = "unknown connector or wrong credentials (configuration id, organization, secret)"


def _authenticated(request, *, required: bool, query_allowed: bool):
    """(body, connector, None), or (None, None, the error response): 413/400 before 401, as Hull expects."""
    try:
        body = _body(request, required=required)
    except BodyError as exc:
        return None, None, _error(exc.status, str(exc))
    connector = _connector(request, body, query_allowed=query_allowed)
    if connector is None:
        return None, None, _error(401, UNAUTHORIZED)
    return body, connector, None


@api_view(["POST"])
def smart_notifier(request):
    body, connector, refused = _authenticated(request, required=True, query_allowed=False)
    if refused is not None:
        return refused
    channel = body.get("channel") if isinstance(body, dict) else None
    if isinstance(channel, str) and channel not in SUPPORTED_CHANNELS:
        return _flow(flow_control.answer_unsupported_channel())
    try:
        parsed = notification_parse(body)
    except NotificationInvalid as exc:
        return _error(400, f"not a Hull notification: {exc}")
    if parsed.channel not in MESSAGE_CHANNELS or not parsed.messages:
        return _flow(flow_control.answer_next())  # ship:update and empty batches: nothing to do
    if notification_already_stored(connector=connector, notification_id=parsed.notification_id):
        return _flow(flow_control.answer_next())
    refused = _refused(connector)
    if refused is not None:
        return refused
    notification_store(connector=connector, parsed=parsed)
    return _flow(flow_control.answer_next())


def _batch(request, *, object_type_default: str):
    body, connector, refused = _authenticated(request, required=True, query_allowed=True)
    if refused is not None:
        return refused
    try:
        parsed = batch_parse(body, object_type_default=object_type_default)
    except NotificationInvalid as exc:
        return _error(400, f"not a Hull batch: {exc}")
    if notification_already_stored(connector=connector, notification_id=parsed.notification_id):
        return _flow(flow_control.answer_next())
    refused = _refused(connector)
    if refused is not None:
        return refused
    batch_store(connector=connector, parsed=parsed, segment_id=str(request.GET.get("segment_id") or "")[:64])
    return _flow(flow_control.answer_next())


@api_view(["POST"])
def batch(request):
    return _batch(request, object_type_default="user")


@api_view(["POST"])
def batch_accounts(request):
    return _batch(request, object_type_default="account")


@api_view(["GET", "POST"])
def status(request):
    _, connector, refused = _authenticated(request, required=False, query_allowed=True)
    if refused is not None:
        return refused
    return Response(connector_hull_status(connector=connector))
