"""Structured JSON logs that carry the message id and trace id of the work being done.

Workers set the context variables once per message; every log line in that task then carries
them without threading ids through every call. Secrets never reach this module: destinations log
their names, not their headers, and request bodies are never logged.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import time
from typing import IO, Any

import msgspec

message_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "crossdock_message_id", default=None
)
trace_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "crossdock_trace_id", default=None
)

_encode = msgspec.json.Encoder().encode
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids, and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record with context ids and extras."""
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        message_id = getattr(record, "message_id", None) or message_id_var.get()
        trace_id = getattr(record, "trace_id", None) or trace_id_var.get()
        if message_id:
            out["message_id"] = message_id
        if trace_id:
            out["trace_id"] = trace_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in out and not key.startswith("_"):
                out[key] = value if isinstance(value, (str, int, float, bool)) else str(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return _encode(out).decode()


def configure_logging(
    level: str = "INFO", fmt: str = "json", stream: IO[str] | None = None
) -> None:
    """Send crossdock's logs to stderr (or ``stream``) in the chosen format; quiet access logs."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("crossdock")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    logging.getLogger("uvicorn.access").disabled = True
    server_log = logging.getLogger("uvicorn.error")
    server_log.handlers[:] = [handler]
    server_log.setLevel(max(logging.getLevelName(level), logging.WARNING))
    server_log.propagate = False
    logging.getLogger("httpx").setLevel(logging.WARNING)
