"""The config folder: partners, channels, routes and destinations, validated at start."""

from gateway.config.loader import ConfigError, load_config
from gateway.config.model import (
    BreakerSpec,
    Channel,
    Config,
    Destination,
    Partner,
    RetrySpec,
    Route,
    SecretRef,
)

__all__ = [
    "BreakerSpec",
    "Channel",
    "Config",
    "ConfigError",
    "Destination",
    "Partner",
    "RetrySpec",
    "Route",
    "SecretRef",
    "load_config",
]
