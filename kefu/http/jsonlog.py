"""JSON log lines: one object per line on stderr, for any log shipper to parse."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, and the record's `json` fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "json", None) or {"message": record.getMessage()}
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        head = {"time": f"{stamp}.{int(record.msecs):03d}Z", "level": record.levelname.lower()}
        return _encoder.encode({**head, "logger": record.name, **fields}).decode()


def json_logger(name: str) -> logging.Logger:
    """The logger `name`, writing JSON lines to stderr unless the host configured a handler."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger
