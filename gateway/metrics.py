"""Prometheus metrics, one registry per gateway instance (tests run several in one process)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    """The counters operations alert on: stage outcomes, latency, queue depth, dead letters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "crossdock_messages",
            "Messages per pipeline stage and outcome.",
            ["stage", "outcome"],
            registry=self.registry,
        )
        self.accepted = Counter(
            "crossdock_accepted",
            "Messages durably accepted, per channel.",
            ["channel"],
            registry=self.registry,
        )
        self.delivery_latency = Histogram(
            "crossdock_delivery_latency_seconds",
            "Latency of delivery attempts, per destination and outcome.",
            ["destination", "outcome"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "crossdock_queue_depth",
            "Work waiting: messages to process and deliveries pending.",
            ["queue"],
            registry=self.registry,
        )
        self.dead_letters = Gauge(
            "crossdock_dead_letters_open",
            "Open dead letters awaiting operations.",
            registry=self.registry,
        )
        self.api_requests = Counter(
            "crossdock_api_requests",
            "Authenticated partner API requests per partner and API version (v1, v2).",
            ["partner", "version"],
            registry=self.registry,
        )
        self.breaker_open = Gauge(
            "crossdock_breaker_open",
            "1 while a destination's circuit breaker is open.",
            ["destination"],
            registry=self.registry,
        )

        # labelled children the request path counts on: ``labels()`` validates and locks on
        # every call (about 5 µs); the label values (channels, partners) are bounded by config
        self._children: dict[tuple[str, ...], Any] = {}

    def count_accepted(self, channel: str, n: int = 1) -> None:
        """``accepted{channel}`` += ``n``."""
        key = ("accepted", channel)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.accepted.labels(channel)
        child.inc(n)

    def count_api_request(self, partner: str, version: str) -> None:
        """``api_requests{partner, version}`` += 1."""
        key = ("api_requests", partner, version)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.api_requests.labels(partner, version)
        child.inc()

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
