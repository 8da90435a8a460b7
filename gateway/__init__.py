"""The running crossdock service: settings, config, journal, pipeline, delivery, API, CLI."""
