"""The app factory (a composition root): a litestar app around one :class:`Gateway`."""

from __future__ import annotations

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
from gateway.api.governance import rate_limit_middleware
from gateway.api.problems import EXCEPTION_HANDLERS
from gateway.api.resources import ROUTES as RESOURCE_ROUTES
from gateway.api.resources_v2 import ROUTES_V2 as RESOURCE_ROUTES_V2
from gateway.runtime import Gateway


def create_app(gateway: Gateway) -> Litestar:
    """Build the HTTP app; its lifespan starts and stops the gateway's journal and workers."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await gateway.start()
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
        # RateLimit headers on governed responses; per-partner version usage and the
        # Deprecation/Sunset notices of versions.yaml on every /vN answer
        middleware=[rate_limit_middleware, versioning.version_notices_middleware],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        request_max_body_size=gateway.settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="crossdock", version="0.1.0", components=security_components()
        ),
        on_app_init=[document_governed_routes],  # governed routes: security + 401/403/429
        debug=False,
        logging_config=None,  # the process owns logging (gateway.logs), not the framework
    )
    app.state.gateway = gateway
    return app
