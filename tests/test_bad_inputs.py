"""A corpus of bad input, each sent through the router as a real person (or a forger) would:
every one gets a reply, none the generic crash text or a logged error, and the database is row
for row what it was before (the processed-updates log aside).

Each group first puts people where the bad input lands (a score card open, a step of a flow, a
ballot open), then sends its inputs one by one against a snapshot taken after that setup.
"""

import io
import logging
import sqlite3
from datetime import datetime

import pytest

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.clock import ManualClock
from bot.messages import Attachment, Incoming, Reply
from bot.services.demo import seed_demo

from .conftest import VN
from .test_console import ROOT
from .workbooks import zip_bomb

CRASH = "Hệ thống gặp sự cố"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
NON_ASCII_NUMBERS = ["²", "９", "１０", "٩", "𝟗", "½", "Ⅷ", "٣٫٥", "⁹"]
TYPED_SCORES = [
    "abc",
    "-1",
    "1e9",
    "9,555",
    "999",
    "10.001",
    "0x10",
    "9 , 5 , 5",
    "=",
    "1.1 =",
    "= 9",
    "1.1 = 250",
    "1.1 = -3",
    "X.9 = 1",
    "1.1 = 9; 1.1 = 8",
    "1.1 = ２",
    "1.1 = ²",
    "B.1 = 99",
    "1.1 = 9\n1.1 = 9",
    "nan",
    "inf",
    "-0",
    "1e-5",
    "9.",
    ".5",
    "9,5,5",
    "1 0",
    "𝟗.𝟓",
    *NON_ASCII_NUMBERS,
]
FORGED = [
    "1:vcast:²:1",
    "1:ack:²",
    "1:dlok:1:²",
    "1:rtn:²",
    "1:vote:²:0",
    "1:vote:1:zz",
    "1:vote:99999:0",
    "1:vcast:1:ffffffffffffffff",
    "1:bdec:1:ff",
    "1:bdecok:999:1",
    "1:sc:NOPE",
    "1:sc:",
    "1:dl:99999",
    "1:dl:-1",
    "1:done:99999",
    "1:bopen:abc",
    "1:bopen:1",
    "1:bclose:1:maybe",
    "1:brule:1:everything",
    "1:lang:xx",
    "1:menu:../../etc",
    "1:mtg:explode",
    "1:bcto:nobody",
    "1:bcgo:send",
    "1:vf:99999",
    "1:vfok:²",
    "1:vfans:1:yes",
    "1:res:99999",
    "1:bmin:1:docx",
    "1:baw:99",
    "1:bkind:poll",
    "1:bquota:²",
    "1:bcand:99",
    "1:bv:0",
    "1:bdel:99999",
    "1:brem:99999",
    "1:brun:99999",
    "1:dlmv:99999",
    "1:dlcx:1:yes",
    "1:dlre:1:99999",
    "1:dlre:99999:ask",
    "1:dlnudge:99999",
    "1:dlnudge:²",
    "1:dlokall:99999",
    "1:dlset:99999:description",
    "1:dlset:1:title",
    "1:dltpl:99999",
    "1:vfre:99999",
    "1:vfre:²",
    "1:doc:a99:pdf",
    "1:doc:meeting:exe",
    "1:doc:summary:exe",
    "1:doc:../x:pdf",
    "1:bmin:99999:docx",
    "1:bmin:1:odt",
    "1:dlnew:create",
    "1:scsub:yes",
    "1:sctpl:0",
    "2:help",
    "1:unknown:1",
    "1:help",
    "",
    ":",
    "1",
    "1:",
    "1:lang",
    "1:lang:vi:extra",
    "1:vote:1:0" + "0" * 60,
    "1:vote:1:０",
    "1:vote:１:0",
    "1:ack:1\n",
    "1:ack:1 ",
    "\x00",
]
WRONG_ROLE = {
    "AGG": [
        "/invites",
        "/revoke DEMO-AGG",
        "/deadline",
        "/broadcast",
        "/export",
        "/ballot",
        "/crossscore AGG=BLU",
        "/sheets",
        "/audit",
        "/group",
        "/verify",
        "/taohan",
    ],
    "observer": [
        "/score",
        "/vote",
        "/checkin",
        "/invites",
        "/deadline",
        "/broadcast",
        "/ballot",
        "/export",
        "/sheets",
        "/meeting",
    ],
    "secretariat": ["/score", "/vote", "/checkin", "/ballot", "/verify"],
    "stranger": [
        "/members",
        "/score",
        "/vote",
        "/ballot",
        "/invites",
        "/export",
        "hello",
        "DEMO-NOPE",
        "/start NOPE",
        "/start " + "X" * 80,
        "/start ²²²²",
        "/lang en",
    ],
}


class Bot:
    """The app on a real SQLite file, spoken to through the router as channels do."""

    def __init__(self, app: App, out: io.StringIO) -> None:
        self.app, self.out = app, out

    async def say(self, who: str, text: str) -> list[Reply]:
        who = who.lower()  # demo handles, as the console reads them
        return await self.app.router.dispatch(Incoming("console", who, who, who, text=text))

    async def press(self, who: str, data: str) -> list[Reply]:
        who = who.lower()
        return await self.app.router.dispatch(
            Incoming("console", who, who, who, action=data, message_ref="1")
        )

    async def send_file(self, who: str, name: str, data: bytes) -> list[Reply]:
        file = Attachment(name, data)
        who = who.lower()
        return await self.app.router.dispatch(Incoming("console", who, who, who, attachment=file))

    def snapshot(self) -> dict[str, list[tuple]]:
        with sqlite3.connect(self.app.services.settings.database_path) as copy:
            tables = [
                r[0]
                for r in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if r[0] not in ("processed_updates", "sqlite_sequence")
            ]
            return {
                t: sorted(copy.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables
            }


@pytest.fixture
async def bot(settings):
    clock = ManualClock(NOW)
    out = io.StringIO()
    channel = ConsoleChannel(out, clock, settings.timezone)
    app = await App.open(settings, clock, {"console": channel}, scheduled=False)
    await seed_demo(app.services.membership)
    await channel.start(app.router.dispatch)
    secretariat = await app.services.membership.identify("console", "secretariat")
    scale = (ROOT / "bot" / "data" / "scale-example.yaml").read_text(encoding="utf-8")
    await app.services.scoring.import_scale(secretariat, scale)
    await app.start_engine()
    yield Bot(app, out)
    await app.close()


async def _refused_without_change(bot: Bot, caplog, send, inputs) -> None:
    """Send each input; each must be answered, politely, changing nothing."""
    for value in inputs:
        before = bot.snapshot()
        caplog.clear()
        replies = await send(value)
        after = bot.snapshot()
        text = "\n".join(r.text for r in replies)
        assert replies and text.strip(), f"no reply to {value!r}"
        assert CRASH not in text, f"crash reply to {value!r}"
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], repr(value)
        changed = [t for t in before if before[t] != after.get(t)]
        assert not changed, f"{value!r} changed {changed}"


async def test_typed_scores_on_an_open_card(bot, caplog):
    await bot.say("AGG", "/score")
    await _refused_without_change(bot, caplog, lambda v: bot.say("AGG", v), TYPED_SCORES)


async def test_forged_and_stale_buttons(bot, caplog):
    for who in ("AGG", "CTO", "secretariat", "observer", "stranger"):
        await _refused_without_change(bot, caplog, lambda v, w=who: bot.press(w, v), FORGED)


async def test_commands_outside_ones_role(bot, caplog):
    for who, commands in WRONG_ROLE.items():
        await _refused_without_change(bot, caplog, lambda v, w=who: bot.say(w, v), commands)


async def test_typed_answers_at_each_step(bot, caplog):
    groups = [
        ("secretariat", ["/deadline"], ["x", "ab", "y" * 300, "\n\n"]),
        (
            "secretariat",
            ["/deadline", "Báo cáo quý"],
            [
                "32/13/2026",
                "hôm qua",
                "²/11/2026",
                "１５/１２/２０２６",
                "30/02/2026",
                "1/1/1999",
                "15/12/2026 25:00",
                "15/12/2026 ²:00",
                "99/99",
                "-",
                "x" * 500,
                *NON_ASCII_NUMBERS,
            ],
        ),
        (
            "secretariat",
            ["/deadline", "Báo cáo quý", "15/12/2026"],
            [
                ",,,",
                " , ; ",
                "XYZ",
                "AGG, XYZ",
                "agg;;;qqq",
                "²",
                "ＡＧＧ",
                "A" * 300,
            ],
        ),
        ("secretariat", ["/broadcast", "Thông báo họp"], ["x" * 5000]),
        ("CTO", ["/meeting"], []),
    ]
    for who, setup, inputs in groups:
        await bot.say(who, "/cancel")
        for line in setup:
            await bot.say(who, line)
        await _refused_without_change(bot, caplog, lambda v, w=who: bot.say(w, v), inputs)


async def test_broadcast_units_and_ballot_steps(bot, caplog):
    await bot.say("secretariat", "/broadcast")
    await bot.say("secretariat", "Họp giao ban")
    await bot.press("secretariat", "1:bcto:units")
    await _refused_without_change(
        bot, caplog, lambda v: bot.say("secretariat", v), [",,,", "XYZ", "AGG XYZ", "²"]
    )
    await bot.press("CTO", "1:mtg:open")
    for code in ("AGG", "BLU", "BTE", "CMU", "DTP", "HGG", "KGG", "LAN", "STG", "TGG"):
        await bot.press(code, "1:mtg:in")
    await bot.press("CTO", "1:bnew:0")
    await bot.say("CTO", "Cờ thi đua")
    await bot.press("CTO", "1:bkind:approve")
    quota_inputs = ["²", "0", "41", "-1", "x", " ", "１", *NON_ASCII_NUMBERS]
    await _refused_without_change(bot, caplog, lambda v: bot.say("CTO", v), quota_inputs)
    await bot.say("CTO", "2")
    await _refused_without_change(
        bot, caplog, lambda v: bot.say("CTO", v), [",,,", "XYZ", "AGG, ZZZ", "²", "A" * 400]
    )


async def test_files_people_send(bot, caplog):
    deep = "clusters: " + "[" * 20_000 + "]" * 20_000
    nested = "scale: " + "{a: " * 5_000 + "1" + "}" * 5_000
    laughs = (
        "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
        + "\n".join(
            f"{n}: &{n} [{','.join([f'*{p}'] * 10)}]"
            for p, n in zip("abcdef", "bcdefg", strict=True)
        )
        + "\nclusters: [*g]\n"
    )
    nan_scale = "scale: {name: x, total: .nan, groups: [{code: I, items: [{code: '1', title: a, max: .inf}]}]}"
    files = [
        ("c.yaml", deep.encode()),
        ("c.yaml", nested.encode()),
        ("c.yaml", laughs.encode()),
        ("s.yaml", nan_scale.encode()),
        ("c.yaml", b"\xff\xfe\x00binary"),
        ("c.yaml", b""),
        ("c.yaml", b"clusters: [1, 2, 3]"),
        ("c.yaml", b": : :"),
        ("c.txt", b"hello"),
        ("c.yaml", b"x" * 300_000),
        ("s.xlsx", b"not a zip"),
        ("s.xlsx", zip_bomb(64)),
        ("s.xlsx", b"PK\x03\x04" + b"\x00" * 100),
        ("lich.yaml", b"calendar: [{title: x, due: 99-99}]"),
        ("lich.yaml", b"calendar: " + b"[" * 5000 + b"]" * 5000),
    ]
    await _refused_without_change(bot, caplog, lambda v: bot.send_file("secretariat", *v), files)
    await bot.say("AGG", "/score")  # on an open card, a representative's workbook
    await _refused_without_change(
        bot,
        caplog,
        lambda v: bot.send_file("AGG", *v),
        [("f.xlsx", zip_bomb(64)), ("f.xlsx", b"PK garbage"), ("f.xlsx", b"")],
    )


async def test_the_console_refuses_a_non_ascii_button_number(bot):
    await bot.app.channels["console"].feed("@AGG /start")
    for line in ("@AGG [²]", "@AGG [９]", "@AGG [0]", "@AGG [99]", "@AGG []"):
        await bot.app.channels["console"].feed(line)
    assert CRASH not in bot.out.getvalue()
    assert bot.out.getvalue().count("\n! ") >= 4  # one "no such button" line each


async def test_the_meeting_people_steps(bot, caplog):
    await bot.press("CTO", "1:mtg:open")
    await bot.press("secretariat", "1:mtgp:0")
    refused = {
        "place": ["   ", ",", "\n\n"],
        "chair": [",", " , Giám đốc", ",,,"],
        "secretary": [",", " ,x"],
        "counters": [";;;", "; ;", "; ".join(f"Người {i}" for i in range(12))],
    }
    conversations = bot.app.services.conversations
    for step, inputs in refused.items():
        assert (await conversations.current("console", "secretariat")).step == step
        await _refused_without_change(bot, caplog, lambda v: bot.say("secretariat", v), inputs)
        await bot.say("secretariat", "-")  # on to the next step, changing nothing
    assert await conversations.current("console", "secretariat") is None
