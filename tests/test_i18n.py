"""Every user-visible string lives in both catalogs with the same placeholders."""

import io
import re
import string
from pathlib import Path

import pytest

from bot.i18n import CATALOGS, t

ROOT = Path(__file__).resolve().parents[1]
# A string literal that looks like a catalog key: "area.name" in lowercase ASCII.
KEY_LITERAL = re.compile(r"""["']([a-z_]+(?:\.[a-z_]+)+)["']""")
AUDIT_EVENT = re.compile(r"""audit\.record\(\s*[^,]+,\s*["']([a-z_.]+)["']""")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_catalogs_have_the_same_keys():
    assert set(CATALOGS["vi"]) == set(CATALOGS["en"])


@pytest.mark.parametrize("key", sorted(CATALOGS["vi"]))
def test_translations_use_the_same_placeholders(key):
    assert _fields(CATALOGS["vi"][key]) == _fields(CATALOGS["en"][key])


def test_every_key_named_in_code_exists():
    sources = [p for d in ("bot", "handlers", "scheduler") for p in (ROOT / d).rglob("*.py")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    audit_events = set(AUDIT_EVENT.findall(text))  # event names, not messages
    named = set(KEY_LITERAL.findall(text)) - audit_events
    prefixes = tuple({key.split(".")[0] + "." for key in CATALOGS["vi"]})
    missing = sorted(k for k in named if k.startswith(prefixes) and k not in CATALOGS["vi"])
    assert missing == []


def test_vietnamese_is_the_default_and_unknown_locales_fall_back_to_it():
    assert t(None, "cancel.done") == t("xx", "cancel.done") == "Đã hủy thao tác đang dở."
    assert t("en", "cancel.done") == "Cancelled."


def test_an_unknown_key_is_a_programming_error():
    with pytest.raises(KeyError):
        t("vi", "no.such.key")


def test_a_khoi_is_called_a_khoi_in_the_catalogs_words_only():
    from bot.i18n import speaking_of, t

    with speaking_of("khối"):
        assert t("vi", "role.chair") == "khối trưởng"
        assert t("vi", "members.badge.chair") == " – Khối trưởng"
        assert t("en", "cluster.unknown", key="x").startswith("No emulation block")
        # A name filled in keeps its own words.
        assert "Cụm Y tế" in t("vi", "cluster.unknown", key="Cụm Y tế")
    assert t("vi", "role.chair") == "cụm trưởng"


async def test_a_khoi_reads_khoi_in_chat_and_in_its_minutes(settings):
    from bot.app import run_console
    from bot.config import database_target
    from storage.opening import open_database

    await run_console(settings, [], io.StringIO(), seed="members")
    db = await open_database(database_target(settings))
    await db.conn.execute("UPDATE clusters SET kind = 'khối'")
    await db.close()
    out = io.StringIO()
    await run_console(settings, ["@CTO /help", "@AGG /ballot"], out, seed="members")
    text = out.getvalue()
    assert "khối trưởng" in text and "cụm trưởng" not in text
    assert "Việc này dành cho: khối trưởng." in text
