"""REST (JSON over HTTP) destinations: one request per delivery attempt, classified in one place."""

from connectors._http import classify, parse_retry_after
from connectors.rest.auth import AuthError, RequestAuth
from connectors.rest.deliver import RestDeliverer

__all__ = ["AuthError", "RequestAuth", "RestDeliverer", "classify", "parse_retry_after"]
