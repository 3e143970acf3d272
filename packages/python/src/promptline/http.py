"""HTTP with the standard library (``http.client``), and how the SDK names what went wrong talking to
the server: the same codes the server uses, with a message that says what to check."""

import http.client
import json
import socket
import ssl
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from .errors import ERROR_STATUS, PromptlineError


class Response:
    """A finished response: status, lower-cased headers and the body bytes."""

    __slots__ = ("status", "reason", "headers", "body")

    def __init__(self, status: int, reason: str, headers: Dict[str, str], body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body


def connect(base_url: str, timeout: float) -> http.client.HTTPConnection:
    """A connection to the host of ``base_url`` (http or https)."""
    parts = urlsplit(base_url)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context())
    if parts.scheme != "http":
        raise ValueError("the url must start with http:// or https://, got %r" % base_url)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)


def path_of(base_url: str) -> str:
    """The path prefix of ``base_url`` (a server mounted under a path), without a trailing slash."""
    return urlsplit(base_url).path.rstrip("/")


def request(
    base_url: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: Optional[bytes] = None,
    timeout: float = 10.0,
) -> Response:
    """One request on a new connection; raises ``OSError``/``http.client.HTTPException`` when the
    server cannot be reached or the answer is cut off."""
    conn = connect(base_url, timeout)
    try:
        conn.request(method, path_of(base_url) + path, body=body, headers=dict(headers))
        raw = conn.getresponse()
        data = raw.read()
        return Response(raw.status, raw.reason, {k.lower(): v for k, v in raw.getheaders()}, data)
    finally:
        conn.close()


def unreachable(url: str, operation: str, cause: BaseException) -> PromptlineError:
    """The server could not be reached (refused, reset, timed out)."""
    if isinstance(cause, (socket.timeout, TimeoutError)):
        reason = "timed out"
    elif isinstance(cause, ConnectionRefusedError):
        reason = "connection refused: ECONNREFUSED"
    else:
        reason = str(cause) or type(cause).__name__
    return PromptlineError(
        "SERVER_UNREACHABLE",
        "Could not reach Promptline at %s (%s: %s). Check the client's `url` and that the server is running; "
        "the client keeps serving what it has in memory meanwhile." % (url, operation, reason),
        details={"operation": operation},
    )


_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    413: "PAYLOAD_TOO_LARGE",
    414: "URI_TOO_LONG",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_FAILED",
    429: "RATE_LIMITED",
    431: "HEADERS_TOO_LARGE",
    502: "SERVER_UNREACHABLE",
    503: "SERVER_UNREACHABLE",
    504: "SERVER_UNREACHABLE",
}


def http_error(
    response: Response,
    operation: str,
    not_found: Tuple[str, str] = ("ENVIRONMENT_NOT_FOUND", " Check the `environment` given to Client."),
) -> PromptlineError:
    """A non-2xx answer as an error; reads the problem+json body when there is one."""
    code: Optional[str] = None
    detail = response.reason
    errors: Optional[List[Dict[str, str]]] = None
    try:
        body: Any = json.loads(response.body.decode("utf-8"))
        if isinstance(body, dict):
            if isinstance(body.get("code"), str):
                code = body["code"]
            if isinstance(body.get("detail"), str):
                detail = body["detail"]
            if isinstance(body.get("errors"), list):
                errors = body["errors"]
    except (ValueError, UnicodeDecodeError):
        pass  # Not problem+json: the status says enough.
    if response.status in (401, 403):
        hint = " Check the `api_key` given to Client (create one with `promptline keys create`)."
    elif response.status == 404:
        hint = not_found[1]
    else:
        hint = ""
    if code is None:
        code = not_found[0] if response.status == 404 else _BY_STATUS.get(response.status)
    if code is None:
        code = "BAD_REQUEST" if response.status < 500 else "INTERNAL"
    error = PromptlineError(
        code,
        "Promptline answered %d to %s: %s.%s" % (response.status, operation, detail, hint),
        details={"operation": operation, "httpStatus": response.status},
        errors=errors,
    )
    if code not in ERROR_STATUS:
        error.status = response.status
    return error


def retryable(status: int) -> bool:
    return status == 408 or status == 429 or status >= 500


def retry_after_seconds(response: Response) -> Optional[float]:
    """``Retry-After`` in seconds (a number of seconds or an HTTP date), None when absent."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
        return seconds if seconds >= 0 else None
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime
    import time

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
