"""REST (JSON over HTTP) destinations: one request per delivery attempt, classified in one place."""

from connectors.rest.deliver import RestDeliverer, classify, parse_retry_after

__all__ = ["RestDeliverer", "classify", "parse_retry_after"]
