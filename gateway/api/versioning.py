"""API versions on the wire: deprecation notices on responses, and who still calls which version.

The edge middleware (:mod:`gateway.api.edge`) calls :func:`observe` for every response to a
request under ``/v<N>/`` (:func:`partner_version`) that carries a verified partner token
(``request.state.principal``, left by the auth guard). It

* counts the request for (partner, version, UTC day): in memory on the gateway's
  :class:`~gateway.journal.api_usage.UsageCounter`, flushed in batches, and on the Prometheus
  counter ``crossdock_api_requests{partner, version}``;
* returns the partner's notice for that version from ``versions.yaml``
  (:mod:`gateway.config.versions`) for the response: ``Deprecation: @<unix seconds>``
  (RFC 9745), ``Sunset: <HTTP-date>`` (RFC 8594) and ``Link: <...>; rel="deprecation"`` /
  ``rel="sunset"``.

The middleware sees every response of a route, so error responses (a 404, a 422, a 429) carry
the notice too: a partner's developer reading any v1 answer learns that v1 is going away.
Requests without a verified token (health, JWKS, a refused token) are neither counted nor
annotated: nobody can say whose they are. Operations routes (``/v1/ops/...``) are not
partner-facing and are skipped.

``GET /v1/ops/api-usage`` (scope ``ops:read``) lists, per partner and version, the requests over
the last ``days`` days, the days active and when the partner was first and last seen, with the
notice it is being sent; ``?version=v1`` answers "who still calls v1".
"""

from __future__ import annotations

import datetime as dt
import re
import time
from email.utils import format_datetime
from typing import Any, Final

import msgspec
from litestar import Litestar, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery

from gateway.api.governance import OPS_READ, governed
from gateway.api.messages import iso
from gateway.api.problems import ProblemError
from gateway.auth import Principal
from gateway.config.versions import DeprecationNotice, VersionsSpec
from gateway.journal.api_usage import UsageCounter, open_api_usage_store, utc_day
from gateway.metrics import Metrics

__all__ = [
    "api_usage",
    "notice_headers",
    "observe",
    "partner_version",
    "usage_counter",
]

_VERSION: Final = re.compile(r"^/(v[0-9]+)/")
# operations are not a partner contract; webhook and SOAP doors authenticate by signature or
# endpoint, never with a token, so no principal is there to count or to notify (and skipping
# them spares each delivery a wrapped send)
_SKIPPED: Final = ("/v1/ops/", "/v1/inbound/webhooks/", "/v1/inbound/soap/")
_encode = msgspec.json.Encoder().encode
Headers = list[tuple[str, str]]
RawHeaders = list[tuple[bytes, bytes]]


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def notice_headers(notice: DeprecationNotice) -> Headers:
    """The response headers that say ``notice`` (RFC 9745 ``Deprecation``, RFC 8594 ``Sunset``).

    ``Deprecation`` is a structured-field Date: ``@`` and the POSIX seconds of the deprecation
    day's UTC midnight. ``Sunset`` is an HTTP-date (IMF-fixdate) of the sunset day's midnight.
    """
    if notice.deprecation is None:  # an exempt entry: nothing to say
        return []
    headers = [("deprecation", f"@{int(_midnight(notice.deprecation).timestamp())}")]
    if notice.sunset is not None:
        headers.append(("sunset", format_datetime(_midnight(notice.sunset), usegmt=True)))
    if notice.link is not None:
        headers.append(("link", f'<{notice.link}>; rel="deprecation"'))
    if notice.sunset_link is not None:
        headers.append(("link", f'<{notice.sunset_link}>; rel="sunset"'))
    return headers


class _NoticeCache:
    """Header pairs per (version, partner), built and encoded once per ``versions.yaml`` object."""

    def __init__(self, spec: VersionsSpec) -> None:
        self.spec = spec
        self._headers: dict[tuple[str, str], RawHeaders] = {}

    def headers(self, version: str, partner: str) -> RawHeaders:
        key = (version, partner)
        found = self._headers.get(key)
        if found is None:
            notice = self.spec.notice(version, partner)
            pairs = [] if notice is None else notice_headers(notice)
            found = [(name.encode(), value.encode("latin-1")) for name, value in pairs]
            self._headers[key] = found
        return found


def _spec_of(app: Litestar) -> VersionsSpec:
    gateway = app.state.get("gateway")
    spec = getattr(getattr(gateway, "config", None), "versions", None)
    return spec if isinstance(spec, VersionsSpec) else VersionsSpec()


def _notices(app: Litestar) -> _NoticeCache:
    spec = _spec_of(app)
    cache: _NoticeCache | None = app.state.get("version_notices")
    if cache is None or cache.spec is not spec:
        cache = _NoticeCache(spec)
        app.state.version_notices = cache
    return cache


def usage_counter(app: Litestar) -> UsageCounter | None:
    """The gateway's usage counter (``Gateway.api_usage``), or one a test put on the app state."""
    gateway = app.state.get("gateway")
    counter = getattr(gateway, "api_usage", None) or app.state.get("api_usage")
    return counter if isinstance(counter, UsageCounter) else None


def partner_version(path: str) -> str | None:
    """The API version a partner-facing path is under (``/v1/orders``: ``v1``), else None.

    None for unversioned paths and for those no token calls (operations, webhook and SOAP
    doors): nothing there to count or to notify.
    """
    match = _VERSION.match(path)
    if match is None or path.startswith(_SKIPPED):
        return None
    return match.group(1)


def observe(app: Litestar, version: str, principal: Principal) -> RawHeaders:
    """Count one request of ``principal``'s partner on ``version``; the notice headers to add."""
    counter = usage_counter(app)
    if counter is not None:
        counter.record(principal.partner, version)
    metrics = getattr(app.state.get("gateway"), "metrics", None)
    if isinstance(metrics, Metrics):
        metrics.count_api_request(principal.partner, version)
    return _notices(app).headers(version, principal.partner)


def _bad_query(parameter: str, detail: str, expected: str) -> ProblemError:
    return ProblemError(
        400,
        "invalid_query",
        "Invalid query parameter",
        f"query parameter {parameter!r}: {detail}",
        parameter=parameter,
        expected=expected,
    )


def _notice_body(notice: DeprecationNotice | None) -> dict[str, Any] | None:
    if notice is None:
        return None
    return {
        "deprecation": None if notice.deprecation is None else notice.deprecation.isoformat(),
        "sunset": None if notice.sunset is None else notice.sunset.isoformat(),
        "link": notice.link,
    }


class _Notice(msgspec.Struct, frozen=True):
    deprecation: str | None
    sunset: str | None
    link: str | None


class _Day(msgspec.Struct, frozen=True):
    day: str
    requests: int


class UsageItem(msgspec.Struct, frozen=True, omit_defaults=True):
    """One partner on one version (``days`` only when the query names a partner)."""

    partner: str
    version: str
    requests: int
    days_active: int
    first_seen: str
    last_seen: str
    notice: _Notice | None
    days: list[_Day] | None = None


class UsageReport(msgspec.Struct, frozen=True):
    """The answer of ``GET /v1/ops/api-usage`` (declared for the OpenAPI document)."""

    version: str | None
    since_day: str
    days: int
    items: list[UsageItem]


@get(
    "/v1/ops/api-usage",
    tags=["ops"],
    summary="Partner API requests per partner and version: who still calls v1",
    description="Needs scope ops:read. Query: version (e.g. v1), days (1..366, default 30), "
    "partner (adds the per-day counts).",
    guards=[governed(OPS_READ, route="ops")],
    responses={200: ResponseSpec(UsageReport, description="Usage", generate_examples=False)},
)
async def api_usage(
    request: Request[Any, Any, Any],
    version: FromQuery[str | None] = None,
    days: FromQuery[int] = 30,
    partner: FromQuery[str | None] = None,
) -> Response[bytes]:
    """Requests per (partner, version) over the last ``days`` UTC days, most recent first."""
    if not 1 <= days <= 366:
        raise _bad_query("days", f"{days} is out of range", "an integer 1..366")
    if version is not None and not re.fullmatch(r"v[0-9]+", version):
        raise _bad_query("version", f"{version!r} is not an API version", "v1, v2, ...")
    app = request.app
    counter = usage_counter(app)
    if counter is not None:
        await counter.flush()  # the listing includes the last few seconds
        store = counter.store
    else:
        store = open_api_usage_store(app.state.gateway.journal)
    since_day = utc_day(time.time() - (days - 1) * 86400)
    rows = await store.summary(version=version, since_day=since_day)
    spec = _spec_of(app)
    items = []
    for row in rows:
        if partner is not None and row.partner != partner:
            continue
        item: dict[str, Any] = {
            "partner": row.partner,
            "version": row.version,
            "requests": row.requests,
            "days_active": row.days_active,
            "first_seen": iso(row.first_seen),
            "last_seen": iso(row.last_seen),
            "notice": _notice_body(spec.notice(row.version, row.partner)),
        }
        if partner is not None:
            per_day = await store.days(row.partner, row.version, since_day)
            item["days"] = [{"day": d.day, "requests": d.requests} for d in per_day]
        items.append(item)
    body = {"version": version, "since_day": since_day, "days": days, "items": items}
    return Response(_encode(body), media_type="application/json")
