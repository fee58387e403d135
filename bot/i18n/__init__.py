"""Message catalogs: Vietnamese first (full diacritics), English second.

The catalogs speak of a "cụm" (cluster). Many groups are a "khối" (block): while a message for
one of them is being written (`speaking_of("khối")`), the catalog's own words are read with
"khối" for "cụm" (and "block" for "cluster"), in the templates only, never in the names and
texts filled into them. Likewise, while an election is being written of (`electing(True)`), a
ballot paper is a "phiếu bầu".
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from . import vi


class _Catalogs(Mapping[str, dict[str, str]]):
    """Vietnamese at once; another language's catalog is read the first time it is needed
    (most sessions never need it: a faster start)."""

    _names = ("vi", "en")

    def __init__(self) -> None:
        self._loaded: dict[str, dict[str, str]] = {"vi": vi.MESSAGES}

    def __getitem__(self, locale: str) -> dict[str, str]:
        if locale not in self._loaded:
            if locale not in self._names:
                raise KeyError(locale)
            self._loaded[locale] = importlib.import_module(f"{__name__}.{locale}").MESSAGES
        return self._loaded[locale]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


CATALOGS: Mapping[str, dict[str, str]] = _Catalogs()
DEFAULT_LOCALE = "vi"
CLUSTER_WORD = "cụm"

_kind: ContextVar[str] = ContextVar("thidua_cluster_kind", default=CLUSTER_WORD)
_KHOI = {
    "vi": [
        (re.compile(r"\bcụm\b"), "khối"),
        (re.compile(r"\bCụm\b"), "Khối"),
        (re.compile(r"\bCỤM\b"), "KHỐI"),
    ],
    "en": [
        (re.compile(r"\bclusters\b"), "blocks"),
        (re.compile(r"\bcluster\b"), "block"),
        (re.compile(r"\bClusters\b"), "Blocks"),
        (re.compile(r"\bCluster\b"), "Block"),
    ],
}


_electing: ContextVar[bool] = ContextVar("thidua_electing", default=False)
_ELECTION = {
    "vi": [
        (re.compile(r"\b([Pp])hiếu số\b"), r"\1hiếu bầu số"),
        (re.compile(r"\bBIÊN BẢN KIỂM PHIẾU\b"), "BIÊN BẢN KIỂM PHIẾU BẦU"),
        (re.compile(r"^Biên bản kiểm phiếu$"), "Biên bản kiểm phiếu bầu"),
    ],
}


@contextmanager
def electing(is_election: bool) -> Iterator[None]:
    """Within this block, ballot papers are called what an election calls them."""
    token = _electing.set(is_election)
    try:
        yield
    finally:
        _electing.reset(token)


@contextmanager
def speaking_of(kind: str | None) -> Iterator[None]:
    """Within this block, messages call the group by its own kind ("cụm" or "khối")."""
    token = _kind.set((kind or CLUSTER_WORD).strip().lower())
    try:
        yield
    finally:
        _kind.reset(token)


def current_kind() -> str:
    """The kind of group being spoken of ("cụm" or "khối")."""
    return _kind.get()


def message_template(locale: str | None, key: str) -> str:
    catalog = CATALOGS.get(locale or DEFAULT_LOCALE, CATALOGS[DEFAULT_LOCALE])
    template = catalog.get(key) or CATALOGS[DEFAULT_LOCALE][key]
    return _worded(locale or DEFAULT_LOCALE, template)


def t(locale: str | None, key: str, /, **params: object) -> str:
    """The message for `key` in `locale` (falling back to Vietnamese), filled with `params`."""
    catalog = CATALOGS.get(locale or DEFAULT_LOCALE, CATALOGS[DEFAULT_LOCALE])
    template = catalog.get(key) or CATALOGS[DEFAULT_LOCALE].get(key)
    if template is None:
        raise KeyError(f"no message {key!r}")
    template = _worded(locale or DEFAULT_LOCALE, template)
    return template.format(**params) if params else template


def worded(locale: str, template: str) -> str:
    """A template of our own (not in a catalog) in the words of the group being spoken of."""
    return _worded(locale, template)


def _worded(locale: str, template: str) -> str:
    if _electing.get():
        for pattern, word in _ELECTION.get(locale, []):
            template = pattern.sub(word, template)
    if _kind.get() != "khối":
        return template
    for pattern, word in _KHOI.get(locale, []):
        template = pattern.sub(word, template)
    return template
