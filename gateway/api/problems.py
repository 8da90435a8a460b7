"""RFC 9457 problem details, produced by us for every error (never litestar's default shape).

Every problem names what was wrong in ``detail`` and, where there is one, the partner, the
stage and the field path as extension members, so a partner's developer can fix the request
without calling us.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = logging.getLogger("crossdock.api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://crossdock.dev/problems/"
_encode = msgspec.json.Encoder().encode


class ProblemError(Exception):
    """Raise from a handler to answer with a problem+json body."""

    def __init__(self, status: int, code: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.extra = extra


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[bytes]:
    """Build the response body per RFC 9457 with our extension members."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(_encode(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _on_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request, status=exc.status, code=exc.code, title=exc.title, detail=exc.detail, **exc.extra
    )


_TITLES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("body_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("rate_limited", "Too many requests"),
}


def _on_http(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, HTTPException)
    code, title = _TITLES.get(exc.status_code, ("http_error", "Request failed"))
    detail = exc.detail
    errors = None
    if isinstance(exc, ValidationException):
        code, title = "invalid_request", "Invalid request"
        errors = exc.extra if isinstance(exc.extra, list) else None
    if isinstance(exc, NotFoundException) and not detail:
        detail = f"no resource at {request.url.path}"
    if exc.status_code == 413:
        detail = "the request body is larger than this endpoint accepts"
    return problem_response(
        request,
        status=exc.status_code,
        code=code,
        title=title,
        detail=detail,
        errors=errors,
        headers=exc.headers,
    )


def _on_unhandled(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error", extra={"path": request.url.path}, exc_info=exc)
    return problem_response(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        code="internal_error",
        title="Internal error",
        detail="the gateway failed to handle this request; if it was a POST, it was not accepted",
    )


EXCEPTION_HANDLERS = {
    ProblemError: _on_problem,
    HTTPException: _on_http,
    Exception: _on_unhandled,
}
