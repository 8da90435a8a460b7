"""``POST /v1/mappings/dry-run?partner=P&type=T``: map a sample document without accepting it.

The body is the raw document as the partner would send it (JSON for now). The answer is the
canonical JSON the pipeline would validate and route (200), or a 422 problem+json naming the
stage, the mapping file and line, the expression, the field path and the value found, so an
integrator can fix a mapping from the response alone. Nothing is journaled or delivered; it
uses the running gateway's mappings (edits are picked up, as in the pipeline).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from gateway.api.auth import principal_of
from gateway.api.documented import problems
from gateway.api.governance import MAPPINGS_TEST, governed, owns
from gateway.api.problems import ProblemError
from gateway.mapping import DryRunError, dry_run
from gateway.runtime import Gateway

_TITLES = {
    "decode": "The document cannot be decoded",
    "map": "The document cannot be mapped",
    "validate": "The mapped document does not satisfy its contract",
}


@post(
    "/v1/mappings/dry-run",
    status_code=200,
    summary="Map a sample document (dry run)",
    description=(
        "Decode, map and validate the body with the mapping for (partner, type); nothing is "
        "journaled. 200: the canonical JSON. 422: where it failed. Needs scope "
        "mappings:test; a partner may only dry-run its own mappings (another partner: 404)."
    ),
    guards=[governed(MAPPINGS_TEST, route="mappings")],
    responses={
        200: ResponseSpec(
            dict[str, Any], description="The canonical document", generate_examples=False
        ),
        **problems(
            s404="unknown_partner: another partner's mappings",
            s422="the document fails to decode, map or validate (stage, file, line, path)",
        ),
    },
)
async def mapping_dry_run(
    request: Request[Any, Any, Any],
    partner: Annotated[str, QueryParameter(name="partner", description="Partner name")],
    document_type: Annotated[str, QueryParameter(name="type", description="Document type")],
) -> Response[bytes]:
    """Dry-run one document through decode, map and validate."""
    gw: Gateway = request.app.state.gateway
    if not owns(principal_of(request), partner):
        raise ProblemError(
            404,
            "unknown_partner",
            "Unknown partner",
            f"no mappings for partner {partner!r} are visible to this client",
            partner=partner,
        )
    raw = await request.body()
    try:
        result = dry_run(gw.mappings, partner, document_type, raw)
    except ValueError as exc:
        raise ProblemError(400, "invalid_query", "Invalid query parameter", str(exc)) from exc
    except DryRunError as exc:
        detail = exc.as_dict()
        message = detail.pop("message")
        detail.pop("kind", None)
        code = detail.pop("code")
        raise ProblemError(
            422, code, _TITLES.get(exc.stage, "Dry run failed"), message, partner=partner, **detail
        ) from exc
    return Response(
        result.canonical,
        status_code=200,
        media_type="application/json",
        headers={"X-Crossdock-Mapping": result.mapping, "X-Crossdock-Contract": result.contract},
    )
