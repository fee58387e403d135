"""Settings from THIDUA_* environment variables and an optional .env file."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCALES = ("vi", "en")
_SECRET = re.compile(r"[A-Za-z0-9_-]{8,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="THIDUA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_path: Path = Field(Path("thidua.sqlite3"), description="SQLite database file")
    database_url: SecretStr | None = Field(
        None,
        description="postgresql://user:password@host/db: PostgreSQL instead of the SQLite file,"
        " for several bot processes",
    )
    default_locale: str = Field(
        "vi", description="language of every message unless a member chose another"
    )
    timezone: str = Field(
        "Asia/Ho_Chi_Minh", description="cluster timezone for showing and planning times"
    )
    telegram_token: SecretStr | None = Field(
        None, description="Bot API token from @BotFather; unset = console"
    )
    telegram_base_url: str = Field(
        "https://api.telegram.org/bot",
        description="Bot API endpoint (a local Bot API server or a test one)",
    )
    telegram_base_file_url: str | None = Field(
        None, description="file download endpoint; default: derived from the base URL"
    )
    zalo_token: SecretStr | None = Field(
        None, description="Zalo Bot API token from Zalo Bot Creator; unset = no Zalo"
    )
    zalo_base_url: str = Field(
        "https://bot-api.zaloplatforms.com/bot",
        description="Zalo Bot API endpoint (the platform has used more than one host)",
    )
    webhook_url: str | None = Field(
        None,
        description="public HTTPS base URL of this server: Telegram and Zalo post updates "
        "there, and Zalo users get file links there; unset = long polling",
    )
    webhook_secret: SecretStr | None = Field(
        None, description="secret the platforms send with every webhook request (8-256 chars)"
    )
    file_link_days: int = Field(
        7, ge=1, description="days a file link sent to Zalo users stays valid"
    )
    upload_link_minutes: int = Field(
        30, ge=1, le=1440, description="minutes an upload link (/upload on Zalo) stays valid"
    )
    webhook_listen: str = Field("127.0.0.1", description="address the webhook server binds")
    webhook_port: int = Field(8080, ge=1, le=65535, description="port of the webhook server")
    local_web: bool = Field(
        True,
        description="without THIDUA_WEBHOOK_URL, still serve the meeting's projector screen on "
        "THIDUA_WEBHOOK_LISTEN:THIDUA_WEBHOOK_PORT (e.g. for a laptop wired to the projector)",
    )
    invite_ttl_days: int = Field(
        30, ge=0, description="days an invite code stays valid; 0 = no expiry"
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    progress_after_seconds: float = Field(
        1.0, ge=0, description="work longer than this (a chart, a document) is announced at once"
    )
    update_log_days: int = Field(
        7, ge=1, description="days a handled update is remembered (platforms redeliver within one)"
    )
    outbox_retention_days: int = Field(
        30, ge=1, description="days a delivered message keeps its content (its row stays)"
    )
    log_format: str = Field("text", description="text, or json: one JSON object per line")
    secret_key: SecretStr | None = Field(
        None,
        description="server secret that seals secret ballots while they are open (32+ "
        "characters, kept out of the database and its backups); needed to open a secret ballot",
    )

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"must be one of {', '.join(LOCALES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown IANA timezone") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value.lower() not in {"text", "json"}:
            raise ValueError("must be text or json")
        return value.lower()

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _usable_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts A-Z a-z 0-9 _ - only; Zalo wants 8 to 256 characters.
        if value is not None and not _SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 8-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("secret_key")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -base64 32`)")
        return value

    @property
    def web_url(self) -> str | None:
        """Where this server's web pages are: the public address, or the local server."""
        if self.webhook_url:
            return self.webhook_url.rstrip("/")
        if self.local_web:
            return f"http://{self.webhook_listen}:{self.webhook_port}"
        return None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def database_target(settings: Settings) -> Path | str:
    """Where the data lives: the PostgreSQL URL when set, else the SQLite file."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return settings.database_path


class SettingsError(Exception):
    """A bad setting: the message is one line naming the environment variable."""


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "THIDUA_" + str(first["loc"][0]).upper() if first["loc"] else "THIDUA_*"
        raise SettingsError(f"Invalid setting {name}: {first['msg']}") from None
