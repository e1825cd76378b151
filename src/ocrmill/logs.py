"""The log every ocrmill process writes to stderr: plain text lines, or JSON lines (setting log_format = "json").

A record's structured fields (a request's method, path and status; a job's id and statuses) travel in
`extra={"fields": {...}}`: JSON lines carry them as members, text lines only the message, which says the same.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]
FIELDS = "fields"  # the LogRecord attribute that holds a record's structured fields

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d] %(message)s"


def fields(**values: Any) -> dict[str, Any]:
    """`extra` for a logging call whose record carries these fields."""
    return {FIELDS: values}


def one_line(text: str) -> str:
    """`text` with control characters escaped, so that what a client sent cannot start a line of its own."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, process, message, the record's fields and,
    for an exception, its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": record.process,
            "message": record.getMessage(),
        }
        extra = getattr(record, FIELDS, None)
        if isinstance(extra, dict):
            line.update({k: v for k, v in extra.items() if k not in line})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(log_format: LogFormat = "text", *, level: int = logging.INFO) -> None:
    """The root logger writes to stderr in `log_format`; the handlers anything installed before are replaced (the
    same process may configure twice: a command's settings are known only after its arguments are read)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin on every start
