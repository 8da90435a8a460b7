"""The app factory (a composition root): a litestar app around one :class:`Gateway`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from gateway.api import (
    auth,
    health,
    inbound,
    mapping_dry_run,
    messages,
    ops,
    soap,
    subscriptions,
    versioning,
    webhooks,
    x12_ops,
)
from gateway.api.documented import document_governed_routes, security_components
from gateway.api.edge import edge_middleware
from gateway.api.idempotency_docs import document_idempotent_routes
from gateway.api.problems import EXCEPTION_HANDLERS
from gateway.api.resources import ROUTES as RESOURCE_ROUTES
from gateway.api.resources_v2 import ROUTES_V2 as RESOURCE_ROUTES_V2
from gateway.runtime import Gateway


def _settle_heap() -> None:
    """Move everything alive after start-up out of the cyclic collector's sight.

    Config, compiled mappings, WSDL schemas and the app's routing tables live as long as the
    process; every full collection would walk them again. Freezing them after one collection
    (``gc.freeze``) leaves the collector only the requests' short-lived objects: about 8 % more
    webhooks/s and a much shorter p99 on the webhook benchmark (docs/benchmarks.md). What was
    frozen is still freed by reference counting; only a cycle among start-up objects that
    becomes garbage later would stay.
    """
    gc.collect()
    gc.freeze()


def create_app(gateway: Gateway, *, own_process: bool = False) -> Litestar:
    """Build the HTTP app; its lifespan starts and stops the gateway's journal and workers.

    ``own_process``: the gateway is the only thing this process runs (``crossdock serve``), so
    once started it may freeze the heap (:func:`_settle_heap`). Tests and the demo, which build
    many apps in one process, leave it off.
    """

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await gateway.start()
        if own_process:
            _settle_heap()
        try:
            yield
        finally:
            await gateway.stop()

    app = Litestar(
        route_handlers=[
            inbound.receive,
            webhooks.receive_webhook,
            soap.receive_soap,
            mapping_dry_run.mapping_dry_run,
            messages.get_message,
            messages.get_original,
            ops.list_dead_letters,
            ops.inspect_dead_letter,
            ops.redeliver,
            ops.reprocess,
            ops.discard,
            ops.bulk,
            ops.audit,
            x12_ops.list_x12_interchanges,
            subscriptions.list_subscriptions,
            subscriptions.get_subscription,
            subscriptions.enable_subscription,
            versioning.api_usage,
            # the partner API: canonical resources in contract v1 and v2
            *RESOURCE_ROUTES,
            *RESOURCE_ROUTES_V2,
            auth.token,
            auth.jwks,
            health.healthz,
            health.readyz,
            health.metrics,
        ],
        lifespan=[lifespan],
        # the request-header cap, RateLimit headers on governed responses, per-partner version
        # usage and the Deprecation/Sunset notices of versions.yaml on every /vN answer
        middleware=[edge_middleware],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        request_max_body_size=gateway.settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="crossdock", version="0.1.0", components=security_components()
        ),
        # governed routes: security + 401/403/429; keyed routes: the header + 409/422
        on_app_init=[document_governed_routes, document_idempotent_routes],
        debug=False,
        logging_config=None,  # the process owns logging (gateway.logs), not the framework
    )
    app.state.gateway = gateway
    return app
