"""The one error type of the SDK: a stable ``code`` (the same codes the server and the TypeScript SDK
use), the HTTP status registered for it, and a message that says what to do."""

from typing import Any, Dict, List, Optional

#: Codes the SDK can raise or report, with their HTTP status (a subset of the server's table).
ERROR_STATUS: Dict[str, int] = {
    "BAD_REQUEST": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "ROUTE_NOT_FOUND": 404,
    "PAYLOAD_TOO_LARGE": 413,
    "URI_TOO_LONG": 414,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "VALIDATION_FAILED": 422,
    "INPUT_INVALID": 422,
    "RATE_LIMITED": 429,
    "HEADERS_TOO_LARGE": 431,
    "PROMPT_NOT_FOUND": 404,
    "VERSION_NOT_FOUND": 404,
    "ENVIRONMENT_NOT_FOUND": 404,
    "DEPLOYMENT_NOT_FOUND": 404,
    "TEMPLATE_SYNTAX": 422,
    "TEMPLATE_VARIABLE_MISSING": 422,
    "TEMPLATE_PARTIAL_NOT_FOUND": 422,
    "TEMPLATE_PARTIAL_CYCLE": 422,
    "TEMPLATE_PARTIAL_TOO_DEEP": 422,
    "TRACE_BATCH_TOO_LARGE": 413,
    "INTERNAL": 500,
    "SERVER_UNREACHABLE": 503,
    "TELEMETRY_DROPPED": 503,
}


class PromptlineError(Exception):
    """A failure with a stable ``code``: ``DEPLOYMENT_NOT_FOUND``, ``TEMPLATE_VARIABLE_MISSING``…

    ``details`` holds machine-readable members (``missing`` names, ``operation``…), ``errors`` the
    offending fields of a validation problem, ``status`` the HTTP status of the code.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        details: Optional[Dict[str, Any]] = None,
        errors: Optional[List[Dict[str, str]]] = None,
        hint: Optional[str] = None,
    ) -> None:
        full = message if hint is None else message + " " + hint
        super().__init__(full)
        self.code = code
        self.message = full
        self.status = ERROR_STATUS.get(code, 500)
        self.details = details
        self.errors = errors
        self.hint = hint

    def __repr__(self) -> str:
        return "PromptlineError(%r, %r)" % (self.code, self.message)
