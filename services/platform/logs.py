"""JSON logs, one object a line, carrying the current trace and span ids."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from opentelemetry import trace

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_SECRET_KEYS = ("token", "secret", "password", "authorization", "key")
#: Bearer tokens (JWTs) wherever they appear in a message, e.g. a URL's query in an access log.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": _JWT.sub("[redacted-token]", record.getMessage()),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format(context.trace_id, "032x")
            entry["span_id"] = format(context.span_id, "016x")
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                hidden = any(word in key.lower() for word in _SECRET_KEYS)
                entry[key] = "[redacted]" if hidden else value
        if record.exc_info:
            entry["error"] = _JWT.sub("[redacted-token]", self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def setup(service: str, level: str) -> None:
    """Sends every log record of the process to stderr as JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("pymongo", "urllib3", "grpc"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
