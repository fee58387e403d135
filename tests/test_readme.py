"""The README's command table agrees with the code: every command and alias, who may use it (the
policy's roles), and a description in both languages."""

import re
from pathlib import Path

import pytest

from bot.config import LOCALES
from bot.domain.models import Role
from bot.domain.policy import ALLOWED, EVERYONE
from bot.i18n import t
from handlers.router import COMMANDS

README = Path(__file__).resolve().parents[1] / "README.md"
NAME = re.compile(r"^`/(\w+)[^`]*`$")

# The words of the "who" column, as roles.
WHO = {
    "anyone": frozenset(),
    "members": EVERYONE,
    "secretariat": frozenset({Role.SECRETARIAT}),
    "chair": frozenset({Role.CHAIR}),
    "vice chair": frozenset({Role.VICE_CHAIR}),
    "unit representative": frozenset({Role.UNIT_REP}),
    "representatives": frozenset({Role.UNIT_REP}),
    "the assigned cross-scoring unit": frozenset({Role.UNIT_REP}),
    "observer": frozenset({Role.OBSERVER}),
}


def _table() -> dict[str, tuple[str | None, frozenset[Role]]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Commands", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        match = NAME.match(cells[0]) if len(cells) == 4 else None
        if match is None:
            continue
        name, alias, who = match.group(1), cells[1].strip("`/") or None, cells[2]
        words = [w.strip() for w in re.split(r"[,;]", who) if w.strip()]
        unknown = [w for w in words if w not in WHO]
        assert not unknown, f"/{name}: README names {unknown}"
        rows[name] = (alias, frozenset().union(*(WHO[w] for w in words)))
    return rows


def test_every_command_is_in_the_readme_with_its_alias_and_nothing_else_is():
    table = _table()
    assert sorted(table) == sorted(c.name for c in COMMANDS)
    for command in COMMANDS:
        assert table[command.name][0] == command.alias, f"/{command.name}"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_who_may_use_a_command_is_what_the_policy_says(command):
    _, roles = _table()[command.name]
    allowed = frozenset().union(*(ALLOWED[a] for a in command.needs)) if command.needs else None
    if allowed is None:
        assert roles == frozenset(), f"/{command.name} is open to anyone"
    else:
        assert roles == allowed, f"/{command.name}: README {sorted(roles)} ≠ {sorted(allowed)}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_command_is_described_in_every_language(locale):
    for command in COMMANDS:
        assert t(locale, command.help_key) != command.help_key
