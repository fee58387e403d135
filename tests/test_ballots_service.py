"""The review meeting and its ballots on a real SQLite file: secrecy by structure, one ballot per
unit under concurrency, every refusal changing nothing, ties settled by the ranking, a run-off or
the chair, auto-close by the engine, and an audit that catches tampering."""

import asyncio
import io
import json
import sqlite3
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.clock import ManualClock, ShiftableClock
from bot.domain.cluster_file import parse_cluster_file
from bot.domain.errors import FileInvalid, Forbidden, InvalidInput, NotFound
from bot.domain.models import Role
from bot.domain.voting import BallotKind, BallotStatus, parse_ballot_defaults
from bot.render import ballots as ballot_render
from bot.render.official import vote_minutes
from bot.render.pdf_writer import pdf_bytes
from bot.render.xlsx_document import document_xlsx
from bot.services.demo import DEMO_CLUSTER, seed_demo

from .conftest import DOMAIN_CLUSTERS, VN

NOW = datetime(2026, 12, 15, 9, 0, tzinfo=VN)
NINE = ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG", "KGG", "LAN")
SCALE_TEXT = (
    Path(__file__).resolve().parents[1] / "bot" / "data" / "scale-example.yaml"
).read_text(encoding="utf-8")


@pytest.fixture
def clock():
    return ManualClock(NOW)


@pytest.fixture
async def app(settings, clock):
    channel = ConsoleChannel(io.StringIO(), clock, settings.timezone)
    application = await App.open(settings, clock, {"console": channel}, scheduled=False)
    await seed_demo(application.services.membership)
    await channel.start(application.router.dispatch)
    await application.start_engine()
    yield application
    await application.close()


async def _who(app, handle):
    return await app.services.membership.identify("console", handle.lower())


async def _meeting(app, present=NINE):
    await app.services.meetings.open(await _who(app, "secretariat"), "Hội nghị bình xét 2024")
    for code in present:
        await app.services.meetings.check_in(await _who(app, code))


async def _open(app, kind=BallotKind.APPROVE, codes=("CTO", "AGG", "VLG"), quota=1, rules=()):
    chair = await _who(app, "CTO")
    view = await app.services.ballot_drafts.draft(
        chair, "Cờ thi đua của Chính phủ", kind, list(codes), quota
    )
    for rule in rules:
        await app.services.ballot_drafts.change_rule(chair, view.ballot.id, rule)
    return await app.services.polling.open(chair, view.ballot.id)


async def _cast(app, handle, ballot_id, *positions):
    return await app.services.polling.cast(await _who(app, handle), ballot_id, frozenset(positions))


async def _rows_flat(app, sql, *args):
    return [r[0] for r in await _rows(app, sql, *args)]


async def _rows(app, sql, *args):
    async with app.db.conn.execute(sql, args) as cursor:
        return [tuple(r) for r in await cursor.fetchall()]


async def _minutes(app, result):
    by = await _who(app, "CTO")
    _, letter = await app.services.paperwork.ballot_minutes(by, result.ballot.id)
    return vote_minutes(result, letter, "Asia/Ho_Chi_Minh")


async def minutes_pdf_text(app, result) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf_bytes(await _minutes(app, result))))
    return "\n".join(page.extract_text() for page in reader.pages)


async def minutes_xlsx_text(app, result) -> str:
    from openpyxl import load_workbook

    data = document_xlsx(await _minutes(app, result), "Biên bản")
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = book.worksheets[0].iter_rows(values_only=True)
    return "\n".join(" ".join(str(v) for v in row if v is not None) for row in rows)


# -- secrecy ------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
async def test_nothing_stored_links_a_unit_to_its_choices(app):
    await _meeting(app)
    view = await _open(app)
    receipts = {}
    for handle, positions in (("AGG", (1,)), ("BLU", (0, 1)), ("CMU", ()), ("DTP", (0,))):
        receipts[handle] = await _cast(app, handle, view.ballot.id, *positions)

    sealed_columns = {r[1] for r in await _rows(app, "PRAGMA table_info(sealed_papers)")}
    receipt_columns = {r[1] for r in await _rows(app, "PRAGMA table_info(ballot_receipts)")}
    register_columns = {r[1] for r in await _rows(app, "PRAGMA table_info(voter_register)")}
    assert sealed_columns == {"ballot_id", "id", "paper"}  # no unit, no time, no receipt
    assert receipt_columns == {"ballot_id", "receipt"}
    assert sealed_columns & register_columns == receipt_columns & register_columns == {"ballot_id"}
    for table in ("sealed_papers", "ballot_receipts", "ballot_papers"):
        with pytest.raises(Exception, match="rowid"):  # no insertion order to read back
            await _rows(app, f"SELECT rowid FROM {table}")
    papers = await _rows(app, "SELECT paper FROM sealed_papers")
    assert len(papers) == 4 and len({len(p) for (p,) in papers}) == 1  # one size for any marks
    assert await _rows(app, "SELECT * FROM ballot_papers") == []  # nothing readable while open
    # Receipts sit apart (sorted), and in the outbox only until delivered, then are erased.
    stored = [r for (r,) in await _rows(app, "SELECT receipt FROM ballot_receipts")]
    assert stored == sorted(receipts.values())
    await app.engine.tick()
    for table in ("outbox", "audit_log", "conversations", "voter_register", "ballots"):
        dump = json.dumps(
            await _rows(app, f"SELECT * FROM {table}"), ensure_ascii=False, default=str
        )
        assert not any(r in dump for r in receipts.values()), table
    casts = await _rows(app, "SELECT detail FROM audit_log WHERE action = 'ballot.cast'")
    assert sorted(json.loads(d)["unit"] for (d,) in casts) == ["AGG", "BLU", "CMU", "DTP"]
    assert all(set(json.loads(d)) == {"unit"} for (d,) in casts)


async def _heap(app, table: str) -> list[tuple]:
    """Every row version PostgreSQL keeps in the table's files, live or dead, in file order
    (what a copy of the data directory holds), as (page, item, dead)."""
    await app.db.conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    return await _rows(
        app,
        "SELECT page, lp, t_xmax <> 0 FROM generate_series(0,"
        f" pg_relation_size('{table}') / current_setting('block_size')::int - 1) AS page,"
        f" heap_page_items(get_raw_page('{table}', page::int)) WHERE lp_flags = 1"
        " ORDER BY page, lp",
    )


@pytest.mark.postgresql_only
async def test_on_postgresql_the_data_files_keep_no_casting_order_once_a_ballot_closes(app):
    """PostgreSQL appends rows in the order they are written and keeps old versions until a
    vacuum: while open the papers are sealed, and at close the ballot tables are rewritten, so
    the files hold the papers only in their shuffled order and not one earlier version."""
    await _meeting(app)
    view = await _open(app)
    plan = {"AGG": (1,), "BLU": (0, 1), "CMU": (), "DTP": (0,), "HGG": (2,), "KGG": (1,)}
    for handle, positions in plan.items():
        await _cast(app, handle, view.ballot.id, *positions)
    papers = await _rows(app, "SELECT paper FROM sealed_papers")
    assert len(papers) == 6 and len({len(p) for (p,) in papers}) == 1  # sealed, one size
    assert await _rows(app, "SELECT * FROM ballot_papers") == []
    result = await app.services.counting.close(await _who(app, "CTO"), view.ballot.id)
    assert len(result.papers) == 6
    assert await _heap(app, "sealed_papers") == []  # not even a dead version of one
    kept = await _heap(app, "ballot_papers")
    assert len(kept) == 6 and not any(dead for _, _, dead in kept)
    in_file_order = await _rows_flat(app, "SELECT position FROM ballot_papers ORDER BY ctid")
    assert in_file_order == sorted(in_file_order)  # written in the shuffled order, nothing else
    for table in ("ballot_receipts", "voter_register", "chat_menus"):
        assert not any(dead for _, _, dead in await _heap(app, table)), table


@pytest.mark.sqlite_only
async def test_a_copy_taken_after_any_cast_links_no_unit_to_its_marks(app, settings, tmp_path):
    """After every single cast the database file and its write-ahead log are copied. Each copy,
    together with everything the bot publishes at close (result, minutes), is searched for any
    link between a unit and its marks: none is found, even replaying the log commit by commit."""
    await _meeting(app)
    view = await _open(app)
    plan = {"AGG": (1,), "BLU": (0, 1), "CMU": (), "DTP": (0,), "HGG": (2,), "KGG": (1,)}
    copies = []
    for n, (handle, positions) in enumerate(plan.items()):
        await _cast(app, handle, view.ballot.id, *positions)
        copy = tmp_path / f"copy-{n}"
        copy.mkdir()
        for suffix in ("", "-wal"):
            source = Path(f"{settings.database_path}{suffix}")
            if source.exists():
                (copy / f"db{suffix}").write_bytes(source.read_bytes())
        copies.append(copy)
    result = await app.services.counting.close(await _who(app, "CTO"), view.ballot.id)
    published = await minutes_pdf_text(app, result) + await minutes_xlsx_text(app, result)
    for receipt in result.receipts:  # the receipts are published, but beside no paper
        for line in published.splitlines():
            assert receipt not in line or not any(code in line for code in plan), line
    for n, copy in enumerate(copies, start=1):
        # Open each copy (with its log) as the database it is, as whoever took it would.
        db = sqlite3.connect(copy / "db")
        try:
            assert db.execute("SELECT COUNT(*) FROM ballot_papers").fetchone()[0] == 0
            sealed = [bytes(p) for (p,) in db.execute("SELECT paper FROM sealed_papers")]
            assert len(sealed) == n and len({len(p) for p in sealed}) == 1
            (private,) = db.execute(
                "SELECT seal_private FROM ballots WHERE id = ?", (view.ballot.id,)
            ).fetchone()
            with pytest.raises(CryptoError):  # the ballot's key opens only with the server's
                SealedBox(PrivateKey(bytes(private)[-32:])).decrypt(sealed[0])
        finally:
            db.close()
    assert sorted(json.dumps(sorted(p)) for p in plan.values()) == sorted(
        await _rows_flat(app, "SELECT choices FROM ballot_papers")
    )


async def test_while_a_secret_ballot_is_open_the_chair_sees_turnout_only(app):
    await _meeting(app)
    view = await _open(app)
    await _cast(app, "AGG", view.ballot.id, 1)
    seen = await app.services.polling.view(await _who(app, "CTO"), view.ballot.id)
    assert (seen.voted, seen.issued, seen.running) == (1, 9, None)
    assert [u.code for u in seen.missing] == sorted(set(NINE) - {"AGG"})
    live = [
        json.loads(p)["text"]
        for (p,) in await _rows(app, "SELECT payload FROM outbox WHERE dedupe_key LIKE 'live:%'")
    ]
    assert live and all("phiếu" in text and "AGG: 1" not in text for text in live)


async def test_an_open_ballot_shows_running_counts(app):
    await _meeting(app)
    view = await _open(app, rules=("secret",))
    await _cast(app, "AGG", view.ballot.id, 1)
    seen = await app.services.polling.view(await _who(app, "CTO"), view.ballot.id)
    assert seen.running == {
        view.ballot.candidates[0]: 0,
        view.ballot.candidates[1]: 1,
        view.ballot.candidates[2]: 0,
    }


async def test_live_view_edits_coalesce_while_undelivered(app):
    await _meeting(app)
    view = await _open(app)
    for handle in ("AGG", "BLU", "BTE"):  # the engine ticks between casts, nothing is sent
        await _cast(app, handle, view.ballot.id, 0)
        await app.services.live_views.refresh_behind()
    pending = await _rows(
        app, "SELECT payload FROM outbox WHERE dedupe_key LIKE 'live:%:e%' AND state = 'pending'"
    )
    assert len(pending) == 1  # one pending edit per viewer, carrying the latest turnout
    assert "3/9" in json.loads(pending[0][0])["text"]


class ConsoleWithoutEdits(ConsoleChannel):
    edits_in_place = False  # as on Zalo: an edit is a new message


async def test_where_views_cannot_be_edited_the_first_update_goes_at_once_then_bursts_wait(
    settings, clock
):
    """On Zalo an update is a new message: the first after a vote goes at once, a burst after
    it waits and goes as one message 20 s after the last, and the closing one goes at once."""
    out = io.StringIO()
    channel = ConsoleWithoutEdits(out, clock, settings.timezone)
    app = await App.open(settings, clock, {"console": channel}, scheduled=False)
    await seed_demo(app.services.membership)
    await channel.start(app.router.dispatch)
    await _meeting(app)
    view = await _open(app)
    await app.engine.tick()  # the ballot and the chair's first view go out
    await _cast(app, "AGG", view.ballot.id, 0)
    await app.engine.tick()  # the first update: at once
    assert out.getvalue().count("Đã bỏ phiếu: 1/9") == 1
    clock.advance(timedelta(seconds=5))
    for handle in ("BLU", "BTE"):
        await _cast(app, handle, view.ballot.id, 0)
        await app.engine.tick()
    pending = await _rows(
        app,
        "SELECT payload, next_attempt_at FROM outbox"
        " WHERE dedupe_key LIKE 'live:%:e%' AND state = 'pending'",
    )
    assert len(pending) == 1 and "3/9" in json.loads(pending[0][0])["text"]
    assert datetime.fromisoformat(pending[0][1]) == NOW + timedelta(seconds=20)
    await app.services.counting.close(await _who(app, "CTO"), view.ballot.id)
    await app.engine.tick()  # the closing update does not wait for the batch
    assert "đã đóng" in out.getvalue().split("→ @cto")[-1]
    await app.close()


async def test_two_representatives_of_one_unit_casting_at_once_leave_exactly_one_ballot(
    app, settings, clock
):
    await app.services.membership.add_member(
        DEMO_CLUSTER, "console", "agg-2", "Phó giám đốc", Role.UNIT_REP, "AGG"
    )
    await _meeting(app)
    view = await _open(app)
    # A second process on the same file: two connections racing for the unit's one ballot.
    other = await App.open(settings, clock, scheduled=False)
    try:
        results = await asyncio.gather(
            _cast(app, "AGG", view.ballot.id, 0),
            _cast(other, "AGG-2", view.ballot.id, 1),
            _cast(app, "AGG-2", view.ballot.id, 2),
            return_exceptions=True,
        )
    finally:
        await other.close()
    receipts = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(receipts) == 1 and len(refused) == 2
    assert all(e.key == "ballot.already_cast" for e in refused)
    assert await _rows(app, "SELECT COUNT(*) FROM sealed_papers") == [(1,)]
    assert await _rows(app, "SELECT COUNT(*) FROM ballot_receipts") == [(1,)]
    assert await _rows(app, "SELECT voted FROM voter_register WHERE voted = 1") == [(1,)]
    told = await _rows(app, "SELECT payload FROM outbox WHERE dedupe_key LIKE 'ballot:%:cast:%'")
    assert len(told) == 1 and "mỗi đơn vị một phiếu" in json.loads(told[0][0])["text"]


# -- refusals change nothing --------------------------------------------------------------------


async def _box_and_register(app):
    return (
        await _rows(app, "SELECT * FROM sealed_papers ORDER BY id"),
        await _rows(app, "SELECT * FROM ballot_receipts ORDER BY receipt"),
        await _rows(app, "SELECT * FROM voter_register ORDER BY unit_id"),
    )


async def test_refused_casts_store_nothing(app):
    await _meeting(app, present=NINE[:-1] + ("LAN",))
    chair = await _who(app, "CTO")
    draft = await app.services.ballot_drafts.draft(
        chair, "Cờ", BallotKind.CHOOSE, ["CTO", "AGG", "VLG"], 2
    )
    with pytest.raises(InvalidInput, match="ballot.not_open"):
        await _cast(app, "AGG", draft.ballot.id, 0)
    view = await app.services.polling.open(chair, draft.ballot.id)
    before = await _box_and_register(app)
    cases = [
        ("AGG", (0, 1, 2), InvalidInput, "ballot.too_many"),
        ("AGG", (7,), InvalidInput, "ballot.unknown_candidate"),
        ("VLG", (0,), Forbidden, "ballot.not_eligible"),  # did not check in
        ("observer", (0,), Forbidden, "error.forbidden"),
        ("secretariat", (0,), Forbidden, "error.forbidden"),
    ]
    for handle, positions, error, key in cases:
        with pytest.raises(error) as caught:
            await _cast(app, handle, view.ballot.id, *positions)
        assert caught.value.key == key
    with pytest.raises(NotFound):
        await _cast(app, "AGG", view.ballot.id + 99, 0)
    assert await _box_and_register(app) == before
    await _cast(app, "AGG", view.ballot.id, 0, 1)
    with pytest.raises(InvalidInput, match="ballot.already_cast"):
        await _cast(app, "AGG", view.ballot.id, 2)
    await app.services.counting.close(chair, view.ballot.id)
    with pytest.raises(InvalidInput, match="ballot.closed"):
        await _cast(app, "BLU", view.ballot.id, 0)


async def test_no_quorum_no_ballot_and_rules_freeze_at_opening(app):
    await _meeting(app, present=NINE[:8])  # 8 of 13: below two thirds
    chair = await _who(app, "CTO")
    draft = await app.services.ballot_drafts.draft(
        chair, "Cờ", BallotKind.APPROVE, ["CTO", "AGG"], 1
    )
    with pytest.raises(InvalidInput, match="ballot.no_quorum"):
        await app.services.polling.open(chair, draft.ballot.id)
    assert (
        await app.services.polling.view(chair, draft.ballot.id)
    ).ballot.status == BallotStatus.DRAFT
    await app.services.meetings.check_in(await _who(app, "LAN"))
    await app.services.polling.open(chair, draft.ballot.id)
    with pytest.raises(InvalidInput, match="ballot.rules_frozen"):
        await app.services.ballot_drafts.change_rule(chair, draft.ballot.id, "threshold")
    # A late arrival is present from now on: not on the open ballot's register (its papers
    # went out at opening), but on the next one's.
    vlg = await _who(app, "VLG")
    _, fresh = await app.services.meetings.check_in(vlg)
    assert fresh and await app.services.polling.open_for_me(vlg) == []
    with pytest.raises(Forbidden, match="ballot.not_eligible"):
        await app.services.polling.ballot_paper(vlg, draft.ballot.id)
    with pytest.raises(Forbidden):  # only the chair runs ballots
        await app.services.polling.open(await _who(app, "AGG"), draft.ballot.id)


# -- counting and ties --------------------------------------------------------------------------


async def test_a_tie_at_the_cut_goes_to_a_run_off_that_settles_it(app):
    await _meeting(app)
    view = await _open(app, rules=("tie",))  # run-off first (no ranking)
    for handle in ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG"):
        await _cast(app, handle, view.ballot.id, 0, 1)
    chair = await _who(app, "CTO")
    result = await app.services.counting.close(chair, view.ballot.id)
    assert result.tie_open and result.runoff_allowed
    assert [u.code for u in result.tied] == ["CTO", "AGG"] and result.winners == []
    runoff = await app.services.polling.runoff(chair, view.ballot.id)
    assert runoff.ballot.runoff_of == view.ballot.id and runoff.ballot.rules.quota == 1
    await _cast(app, "AGG", runoff.ballot.id, 1)
    await _cast(app, "BLU", runoff.ballot.id, 0)
    await _cast(app, "BTE", runoff.ballot.id, 0)
    await app.services.counting.close(chair, runoff.ballot.id)
    final = await app.services.counting.result(chair, view.ballot.id)
    assert not final.tie_open and [u.code for u in final.winners] == ["CTO"]
    # Every member receives the final result with its chart, once.
    sent = await _rows(
        app,
        "SELECT payload FROM outbox WHERE dedupe_key LIKE ?",
        f"ballot:{view.ballot.id}:result:%",
    )
    assert len(sent) == 15 and all(json.loads(p)["photo_file_id"] for (p,) in sent)


async def test_the_chair_decides_a_tie_the_run_off_did_not_settle(app):
    await _meeting(app)
    view = await _open(app, rules=("tie", "tie"))  # the chair decides
    for handle in ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG"):
        await _cast(app, handle, view.ballot.id, 0, 1)
    chair = await _who(app, "CTO")
    result = await app.services.counting.close(chair, view.ballot.id)
    assert result.tie_open and not result.runoff_allowed
    with pytest.raises(InvalidInput, match="ballot.decide_count"):
        await app.services.counting.decide(chair, view.ballot.id, frozenset({0, 1}))
    decided = await app.services.counting.decide(chair, view.ballot.id, frozenset({1}))
    assert [u.code for u in decided.winners] == ["AGG"] and not decided.tie_open
    with pytest.raises(InvalidInput, match="ballot.no_tie"):
        await app.services.counting.decide(chair, view.ballot.id, frozenset({0}))


async def test_the_score_ranking_breaks_a_tie_when_one_exists(app):
    scoring = app.services.scoring
    await scoring.import_scale(await _who(app, "secretariat"), SCALE_TEXT)
    codes = ("1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "3.1", "3.2", "3.3", "3.4")
    for handle, value in (("CTO", "4"), ("AGG", "5")):  # AGG ranks above CTO
        rep = await _who(app, handle)
        await scoring.set_scores(rep, {c: value for c in codes})
        await scoring.submit(rep)
    await _meeting(app)
    view = await _open(app)
    for handle in ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG"):
        await _cast(app, handle, view.ballot.id, 0, 1)
    result = await app.services.counting.close(await _who(app, "CTO"), view.ballot.id)
    assert not result.tie_open and [u.code for u in result.winners] == ["AGG"]


async def test_elect_one_needs_a_majority_of_member_units(app):
    await _meeting(app)
    view = await _open(app, kind=BallotKind.ELECT, codes=("AGG", "VLG"))
    for handle in ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP"):  # 6 of 13: not a majority
        await _cast(app, handle, view.ballot.id, 0)
    await _cast(app, "HGG", view.ballot.id)  # blank
    result = await app.services.counting.close(await _who(app, "CTO"), view.ballot.id)
    assert result.winners == [] and result.count.abstentions == 1 and result.count.cast == 7


async def test_an_election_speaks_of_phieu_bau_and_an_award_ballot_of_phieu(app):
    """Elections say "phiếu bầu" on the paper, in the notices, the result and the minutes."""
    await _meeting(app)
    view = await _open(app, kind=BallotKind.ELECT, codes=("AGG", "VLG"))
    assert ballot_render.paper("vi", view, frozenset()).startswith("🗳 Phiếu bầu số 1:")
    notices = await _rows_flat(app, "SELECT payload FROM outbox WHERE dedupe_key LIKE 'ballot:%'")
    assert notices and all("Phiếu bầu số 1" in json.loads(n)["text"] for n in notices)
    for handle in ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG"):
        await _cast(app, handle, view.ballot.id, 0)
    result = await app.services.counting.close(await _who(app, "CTO"), view.ballot.id)
    assert ballot_render.result("vi", result).startswith("📋 Kết quả phiếu bầu số 1:")
    pdf = await minutes_pdf_text(app, result)
    assert "BIÊN BẢN KIỂM PHIẾU BẦU" in pdf and "(phiếu bầu số 1)" in pdf
    assert "Được bầu" in pdf and "Kết luận: đơn vị được bầu Cờ thi đua" in pdf
    assert "BIÊN BẢN KIỂM PHIẾU BẦU" in await minutes_xlsx_text(app, result)
    award = await _open(app, kind=BallotKind.CHOOSE, codes=("AGG", "VLG"))
    assert ballot_render.paper("vi", award, frozenset()).startswith("🗳 Phiếu số 2:")
    assert "bầu" not in ballot_render.ballot_card("vi", award).splitlines()[0]


async def test_proposals_chain_the_winners_of_an_earlier_ballot(app):
    await _meeting(app)
    view = await _open(app, kind=BallotKind.CHOOSE, codes=("CTO", "AGG", "VLG"), quota=2)
    for handle in ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG"):
        await _cast(app, handle, view.ballot.id, 0, 2)
    await app.services.counting.close(await _who(app, "CTO"), view.ballot.id)
    proposals = await app.services.ballot_drafts.proposals(await _who(app, "CTO"), 3)
    chained = [p for p in proposals if p.source == "winners"]
    assert [u.code for u in chained[0].units] == ["CTO", "VLG"] and chained[0].ballot_number == 1


# -- time and the audit -------------------------------------------------------------------------


async def test_the_engine_closes_a_ballot_at_its_auto_close_time(app, clock):
    await _meeting(app)
    view = await _open(app, rules=("close",))  # 5 minutes
    await _cast(app, "AGG", view.ballot.id, 1)
    engine = app.engine
    await engine.tick()  # deliver what is queued: the next wake-up is the close
    assert await engine.arm() == view.ballot.closes_at
    clock.advance(timedelta(minutes=4))
    await engine.tick()
    assert (
        await app.services.polling.view(await _who(app, "CTO"), view.ballot.id)
    ).ballot.status == BallotStatus.OPEN
    clock.advance(timedelta(minutes=1))
    await engine.tick()
    closed = await app.services.counting.result(await _who(app, "observer"), view.ballot.id)
    assert closed.ballot.status == BallotStatus.CLOSED and closed.count.cast == 1
    with pytest.raises(InvalidInput, match="ballot.closed"):
        await _cast(app, "BLU", view.ballot.id, 0)


async def test_audit_recounts_and_catches_a_changed_ballot_or_log_entry(app):
    await _meeting(app)
    view = await _open(app)
    for handle in ("CTO", "AGG", "BLU"):
        await _cast(app, handle, view.ballot.id, 0)
    chair = await _who(app, "CTO")
    await app.services.counting.close(chair, view.ballot.id)
    observer = await _who(app, "observer")
    report = await app.services.counting.audit(observer)
    assert report.ok and report.ballots == [(view.ballot.meeting_id, 1, True)]
    with pytest.raises(Forbidden):
        await app.services.counting.audit(await _who(app, "AGG"))

    await app.db.conn.execute("UPDATE ballot_papers SET choices = '[1]'")
    report = await app.services.counting.audit(observer)
    assert not report.ok and report.ballots == [(view.ballot.meeting_id, 1, False)]

    on_table = " ON audit_log" if app.db.dialect == "postgresql" else ""
    await app.db.conn.execute("DROP TRIGGER audit_log_no_update" + on_table)
    await app.db.conn.execute(
        "UPDATE audit_log SET detail = '{\"unit\": \"VLG\"}' WHERE action = 'ballot.cast'"
    )
    assert (await app.services.counting.audit(observer)).broken_at is not None


async def test_closing_empties_the_write_ahead_log(app, db_path):
    await _meeting(app)
    view = await _open(app)
    await _cast(app, "AGG", view.ballot.id, 0)
    await app.services.counting.close(await _who(app, "CTO"), view.ballot.id)
    wal = Path(f"{db_path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0


async def test_a_cluster_file_sets_the_rules_new_ballots_start_with(app):
    text = DOMAIN_CLUSTERS.read_text(encoding="utf-8")
    spec = next(s for s in parse_cluster_file(text) if s.key == DEMO_CLUSTER)
    raw = {"threshold": "70%", "counted_on": "present", "tie": "runoff", "close_after": 10}
    spec = spec.model_copy(update={"ballot_defaults": parse_ballot_defaults(raw).to_dict()})
    await app.services.membership.import_clusters([spec])
    await _meeting(app)
    chair = await _who(app, "CTO")
    view = await app.services.ballot_drafts.draft(chair, "Cờ", BallotKind.CHOOSE, ["CTO", "AGG"], 1)
    rules = view.ballot.rules
    assert (rules.threshold, rules.denominator.value, rules.secret) == (
        Decimal("0.7"),
        "present",
        True,
    )
    assert (view.ballot.tie_policy.value, view.ballot.close_after) == ("runoff", 10)


def test_bad_ballot_defaults_in_a_cluster_file_are_reported():
    text = DOMAIN_CLUSTERS.read_text(encoding="utf-8").replace(
        "    chair: CTO ", "    ballot_defaults: {threshold: 60%, tie: coin}\n    chair: CTO ", 1
    )
    with pytest.raises(FileInvalid) as caught:
        parse_cluster_file(text)
    assert ("cluster_file.bad_ballot_defaults", {"cluster": DEMO_CLUSTER}) in caught.value.problems


async def test_the_real_scheduler_edits_the_chairs_live_view_about_a_second_after_a_vote(
    settings,
):
    clock = ShiftableClock(NOW)
    out = io.StringIO()
    channel = ConsoleChannel(out, clock, settings.timezone, settings.default_locale)
    app = await App.open(settings, clock, {channel.name: channel})
    await seed_demo(app.services.membership)
    await channel.start(app.router.dispatch)
    engine = await app.start_engine()
    try:
        await _meeting(app)
        view = await _open(app)
        await engine.tick()  # the ballot notices and the chair's live view go out
        assert "Đã bỏ phiếu: 0/9" in out.getvalue()
        await _cast(app, "AGG", view.ballot.id, 1)
        await _cast(app, "BLU", view.ballot.id, 0)
        for _ in range(10):  # the receipts go out first, then one wake-up edits the view
            if "✎ @cto" in out.getvalue():
                break
            await engine.wait_ticks(engine.ticks + 1, timeout=10)
        edits = out.getvalue().split("✎ @cto")
        assert len(edits) == 2 and "Đã bỏ phiếu: 2/9" in edits[1]
    finally:
        await app.close()


async def test_a_counted_vote_reaches_its_voter_even_if_the_bot_stops_right_after(settings, clock):
    """The cast commits with its receipt queued: the process dying before it answers (before
    the engine drains anything) loses no receipt; the next start delivers it, once."""
    app = await App.open(settings, clock, scheduled=False)
    await seed_demo(app.services.membership)
    await _meeting(app)
    view = await _open(app)
    receipt = await _cast(app, "AGG", view.ballot.id, 1)
    await app.db.close()  # stops dead: no reply, no drain, no clean shutdown of the engine

    out = io.StringIO()
    channel = ConsoleChannel(out, clock, settings.timezone)
    again = await App.open(settings, clock, {"console": channel}, scheduled=False)
    await channel.start(again.router.dispatch)
    await again.start_engine()  # catches up at once
    await again.engine.tick()
    await again.close()
    printed = out.getvalue()
    assert printed.count(receipt) == 1 and "→ @agg\n🧾 Mã biên nhận phiếu số 1" in printed
    with pytest.raises(InvalidInput, match="ballot.already_cast"):
        again2 = await App.open(settings, clock, scheduled=False)
        try:
            await _cast(again2, "AGG", view.ballot.id, 0)
        finally:
            await again2.close()


async def test_an_election_without_a_majority_goes_to_a_second_round_and_elects(app):
    """Next year's chair: 4–3–2 gives nobody more than half of 13 members; one tap opens a
    second round between the two leaders, whose winner is the election's, published once."""
    await _meeting(app)
    view = await _open(app, kind=BallotKind.ELECT, codes=("AGG", "BLU", "CTO"))
    votes = {
        "CTO": 0,
        "AGG": 0,
        "BLU": 0,
        "BTE": 0,
        "CMU": 1,
        "DTP": 1,
        "HGG": 1,
        "KGG": 2,
        "LAN": 2,
    }
    for handle, position in votes.items():
        await _cast(app, handle, view.ballot.id, position)
    chair = await _who(app, "CTO")
    first = await app.services.counting.close(chair, view.ballot.id)
    assert first.winners == [] and first.undecided and first.second_round_allowed
    assert [u.code for u in first.second_round] == ["AGG", "BLU"]
    assert await _rows(app, "SELECT 1 FROM outbox WHERE dedupe_key LIKE 'ballot:%:result:%'") == []
    second = await app.services.polling.runoff(chair, view.ballot.id)
    assert second.ballot.rules.kind == BallotKind.ELECT and len(second.candidates) == 2
    for handle in ("CTO", "AGG", "BLU", "BTE", "CMU"):
        await _cast(app, handle, second.ballot.id, 0)
    for handle in ("DTP", "HGG", "KGG", "LAN"):
        await _cast(app, handle, second.ballot.id, 1)
    await app.services.counting.close(chair, second.ballot.id)
    final = await app.services.counting.result(chair, view.ballot.id)
    assert [u.code for u in final.winners] == ["AGG"] and not final.undecided
    published = await _rows_flat(
        app,
        "SELECT payload FROM outbox WHERE dedupe_key LIKE ?",
        f"ballot:{view.ballot.id}:result:%",
    )
    assert published and all("Được bầu: Sở Y tế An Giang (AGG)" in p for p in published)
    with pytest.raises(InvalidInput, match="ballot.no_runoff"):  # one second round only
        await app.services.polling.runoff(chair, view.ballot.id)


async def test_a_six_six_election_ties_again_in_its_second_round_and_the_chair_decides(app):
    twelve = ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG", "KGG", "LAN", "STG", "TGG", "TVH")
    await _meeting(app, present=twelve)
    view = await _open(app, kind=BallotKind.ELECT, codes=("AGG", "BLU"), rules=("tie",))
    chair = await _who(app, "CTO")
    for ballot_id in (view.ballot.id, None):
        if ballot_id is None:
            ballot_id = (await app.services.polling.runoff(chair, view.ballot.id)).ballot.id
        for i, handle in enumerate(twelve):
            await _cast(app, handle, ballot_id, i % 2)
        result = await app.services.counting.close(chair, ballot_id)
    assert result.tie_open and not result.runoff_allowed  # the second round's own tie
    await app.services.counting.decide(chair, ballot_id, frozenset({1}))
    final = await app.services.counting.result(chair, view.ballot.id)
    assert [u.code for u in final.winners] == ["BLU"]


async def test_a_lower_award_offers_the_units_not_yet_proposed_higher_and_warns_of_the_rest(app):
    await _meeting(app)
    chair = await _who(app, "CTO")
    flag = await _open(app, codes=("CTO", "AGG", "VLG"))  # "Cờ thi đua của Chính phủ"
    for handle in NINE:
        await _cast(app, handle, flag.ballot.id, 1)
    await app.services.counting.close(chair, flag.ballot.id)  # AGG is proposed for the flag
    awards = await app.services.ballot_drafts.awards(chair)
    lower = awards[-1]
    proposals = await app.services.ballot_drafts.proposals(chair, 5, lower)
    offered = next(p for p in proposals if p.source == "not_proposed")
    assert "AGG" not in [u.code for u in offered.units] and len(offered.units) == 12
    draft = await app.services.ballot_drafts.draft(
        chair, lower, BallotKind.CHOOSE, ["AGG", "BLU"], 1
    )
    assert [(u.code, award) for u, award in draft.also_proposed] == [
        ("AGG", "Cờ thi đua của Chính phủ")
    ]
    # A new ballot starts with the rules of the meeting's previous one (no cluster defaults).
    assert draft.ballot.rules.secret == flag.ballot.rules.secret
    assert draft.ballot.tie_policy == flag.ballot.tie_policy


async def test_the_paper_shows_each_candidates_rank_and_score_when_a_ranking_exists(app):
    scoring = app.services.scoring
    await scoring.import_scale(await _who(app, "secretariat"), SCALE_TEXT)
    rep = await _who(app, "AGG")
    codes = [c.code for c in (await scoring.sheet(rep)).scale.criteria if c.kind == "item"]
    await scoring.set_scores(rep, {code: "1" for code in codes})
    await scoring.submit(rep)
    await _meeting(app)
    view = await _open(app, codes=("AGG", "BLU"))
    paper = await app.services.polling.ballot_paper(await _who(app, "BLU"), view.ballot.id)
    from bot.render.ballots import paper as render_paper

    text = render_paper("vi", paper, frozenset())
    assert f"AGG) – hạng 1, {len(codes)} điểm" in text and "BLU) – hạng" not in text
