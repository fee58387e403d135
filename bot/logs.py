"""Logging that keeps secrets: no bot token, no receipt, no ballot marks, at any level.

Libraries log what they send and receive at DEBUG (python-telegram-bot every request with its
parameters, aiosqlite every statement with its arguments, httpx every URL, which holds the
token), so their loggers never go below INFO, whatever THIDUA_LOG_LEVEL says. What still
reaches a handler passes a filter that masks tokens, receipt codes and the marks a vote button
carries.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable

from bot.config import Settings

QUIET_LIBRARIES = {
    "httpx": logging.WARNING,  # request URLs hold the bot token
    "httpcore": logging.WARNING,
    "hpack": logging.WARNING,
    "telegram": logging.INFO,  # DEBUG dumps every request and update with its payload
    "aiosqlite": logging.INFO,  # DEBUG prints every statement with its arguments
    "apscheduler": logging.WARNING,
    "fontTools": logging.WARNING,  # fpdf2 subsetting the PDF font
    "uvicorn.access": logging.WARNING,
}
# A receipt (XXXX-XXXX), and the marks in a vote or decision button's data (1:vcast:7:3).
_RECEIPT = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b")
_FORMATTER = logging.Formatter()
_MARKS = re.compile(r"\b(1:(?:vote|vrev|vcast|bdec|bdecok):[0-9]+):[0-9a-f]+")


class Redact(logging.Filter):
    """Masks tokens, receipts and marks in every record a handler writes."""

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        super().__init__()
        self.tokens = [token for token in tokens if token]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:  # a traceback may quote a request URL
            record.exc_text = self.mask(_FORMATTER.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True

    def mask(self, text: str) -> str:
        for token in self.tokens:
            text = text.replace(token, "<token>")
        return _MARKS.sub(r"\1:<marks>", _RECEIPT.sub("<receipt>", text))


class JsonLines(logging.Formatter):
    """One JSON object per line, for deployments that collect logs (THIDUA_LOG_FORMAT=json)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    keep_secrets(settings)


def keep_secrets(settings: Settings) -> None:
    """Quiet the libraries and mask secrets on every handler of the root logger (once each)."""
    for name, level in QUIET_LIBRARIES.items():
        library = logging.getLogger(name)
        library.setLevel(max(level, library.getEffectiveLevel()))
    secrets = (settings.telegram_token, settings.zalo_token, settings.database_url)
    tokens = [s.get_secret_value() for s in secrets if s]
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, Redact)]:
            handler.removeFilter(old)
        handler.addFilter(Redact(tokens))
