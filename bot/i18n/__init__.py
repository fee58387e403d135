"""Message catalogs: Vietnamese first (full diacritics), English second."""

from __future__ import annotations

from . import en, vi

CATALOGS: dict[str, dict[str, str]] = {"vi": vi.MESSAGES, "en": en.MESSAGES}
DEFAULT_LOCALE = "vi"


def message_template(locale: str | None, key: str) -> str:
    catalog = CATALOGS.get(locale or DEFAULT_LOCALE, CATALOGS[DEFAULT_LOCALE])
    return catalog.get(key) or CATALOGS[DEFAULT_LOCALE][key]


def t(locale: str | None, key: str, /, **params: object) -> str:
    """The message for `key` in `locale` (falling back to Vietnamese), filled with `params`."""
    catalog = CATALOGS.get(locale or DEFAULT_LOCALE, CATALOGS[DEFAULT_LOCALE])
    template = catalog.get(key) or CATALOGS[DEFAULT_LOCALE].get(key)
    if template is None:
        raise KeyError(f"no message {key!r}")
    return template.format(**params) if params else template
