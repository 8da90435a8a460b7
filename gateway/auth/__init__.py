"""Partner API authentication: OAuth 2.0 client credentials, JWT access tokens, scopes.

No HTTP framework here: ``gateway.api.auth`` turns requests into calls on :class:`AuthService`.
"""

from gateway.auth.config import AuthConfig
from gateway.auth.credentials import Client, CredentialError, CredentialStore, IssuedSecret
from gateway.auth.grant import OAuthError, TokenRequest, parse_token_request
from gateway.auth.service import AuthService
from gateway.auth.tokens import IssuedToken
from gateway.auth.verify import InvalidTokenError, Principal

__all__ = [
    "AuthConfig",
    "AuthService",
    "Client",
    "CredentialError",
    "CredentialStore",
    "InvalidTokenError",
    "IssuedSecret",
    "IssuedToken",
    "OAuthError",
    "Principal",
    "TokenRequest",
    "parse_token_request",
]
