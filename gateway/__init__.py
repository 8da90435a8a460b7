"""The running crossdock service: settings, config, journal, pipeline, delivery, HTTP API and CLI."""
