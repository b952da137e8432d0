"""Hull's flow control answers (HULL/utils/notification-default-flow-control.js and the handlers).

Hull reads `flow_control` from every /smart-notifier answer: `next` sends the next batch, `retry`
redelivers this one after `in` milliseconds.
"""

NEXT = {"type": "next"}
UNSUPPORTED_CHANNEL = {"type": "next", "size": 10, "in": 5, "in_time": 10}
# A ConfigurationError (paused, not authorized): answered 200, Hull retries in 6 s.
RETRY_CONFIGURATION = {"type": "retry", "size": 10, "in": 6000, "in_time": 10}
# A TransientError / RateLimitError (backlog): answered 503, Hull retries in 1 s.
RETRY_TRANSIENT = {"type": "retry", "size": 10, "in": 1000, "in_time": 10}


def answer_next() -> tuple[int, dict]:
    return 200, {"flow_control": dict(NEXT)}


def answer_unsupported_channel() -> tuple[int, dict]:
    return 200, {"flow_control": dict(UNSUPPORTED_CHANNEL)}


def answer_retry(*, transient: bool, message: str) -> tuple[int, dict]:
    if transient:
        error = {"message": message, "name": "TransientError", "code": "HULLREACH_BACKLOG"}
        return 503, {"flow_control": dict(RETRY_TRANSIENT), "error": error}
    error = {"message": message, "name": "ConfigurationError", "code": "HULLREACH_NOT_READY"}
    return 200, {"flow_control": dict(RETRY_CONFIGURATION), "error": error}
