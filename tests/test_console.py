"""Scripted console sessions (DESIGN §4) on a real SQLite file, and the command line."""

import io
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from bot.app import run_console
from bot.clock import ManualClock
from bot.config import database_target
from bot.services.membership import Membership
from storage.opening import open_database

from .conftest import VN

SCENARIOS = Path(__file__).parent / "scenarios"
START = datetime(2026, 11, 1, 8, 0, tzinfo=VN)
ROOT = Path(__file__).resolve().parents[1]


async def _console(settings, lines: list[str], now=START, seed="members") -> str:
    out = io.StringIO()
    await run_console(settings, lines, out, seed=seed, now=now)
    return out.getvalue()


def _assert_transcript(name: str, transcript: str) -> None:
    """Compare with the committed transcript; THIDUA_REGENERATE=1 rewrites it (then review the
    diff before committing)."""
    path = SCENARIOS / name
    if os.environ.get("THIDUA_REGENERATE") == "1":
        path.write_text(transcript, encoding="utf-8")
    assert transcript == path.read_text(encoding="utf-8")


async def _member(settings, handle):
    db = await open_database(database_target(settings))
    try:
        return await Membership(db, ManualClock(START), settings).identify(
            "console", handle.lower()
        )
    finally:
        await db.close()


async def test_membership_scenario_prints_the_expected_transcript(settings):
    script = (SCENARIOS / "membership.txt").read_text(encoding="utf-8").splitlines()
    transcript = await _console(settings, script)
    _assert_transcript("membership.out", transcript)


async def test_deadline_scenario_prints_the_expected_transcript(settings):
    script = (SCENARIOS / "deadlines.txt").read_text(encoding="utf-8").splitlines()
    transcript = await _console(settings, script, now=datetime(2026, 11, 20, 9, 0, tzinfo=VN))
    _assert_transcript("deadlines.out", transcript)


async def test_calendar_scenario_sends_one_digest_and_nothing_stale_after_a_downtime(settings):
    script = (SCENARIOS / "calendar.txt").read_text(encoding="utf-8").replace("$ROOT", str(ROOT))
    transcript = await _console(
        settings, script.splitlines(), now=datetime(2026, 11, 20, 9, 0, tzinfo=VN)
    )
    _assert_transcript("calendar.out", transcript.replace(str(ROOT), "$ROOT"))
    # One digest per representative, the meeting without a "reported" button, and after the
    # downtime nothing but the summaries and the chair's reminder, held until 07:30.
    assert transcript.count("📌 Lịch hạn báo cáo mới") == 13
    assert "Quá hạn" not in transcript
    after_night = transcript.split("⏱ 20/12/2026 22:00")[1].split("⏱ 21/12/2026 07:31")[0]
    assert after_night.strip() == ""


async def test_demo_scenario_lets_a_newcomer_try_every_role(settings):
    script = (SCENARIOS / "demo.txt").read_text(encoding="utf-8").splitlines()
    now = datetime(2026, 11, 26, 9, 0, tzinfo=VN)
    transcript = await _console(settings, script, now=now, seed="demo")
    _assert_transcript("demo.out", transcript)
    assert "2024" not in transcript and "năm 2026" in transcript
    assert "còn 8 mục chưa chấm" in transcript  # the reminder counts what is left
    assert (await _member(settings, "lan")).unit.code == "LAN"


async def test_typed_forms_scenario_takes_what_people_type(settings):
    script = (SCENARIOS / "typed.txt").read_text(encoding="utf-8").replace("$ROOT", str(ROOT))
    now = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
    transcript = await _console(settings, script.splitlines(), now=now)
    _assert_transcript("typed.out", transcript.replace(str(ROOT), "$ROOT"))
    assert "Đã lưu ghi chú cho mục T.1" in transcript and "ghi chú cho mục B.1" in transcript
    assert "áp dụng cho tất cả 13 đơn vị" in transcript


async def test_broadcast_scenario_prints_the_expected_transcript(settings):
    script = (SCENARIOS / "broadcast.txt").read_text(encoding="utf-8").splitlines()
    transcript = await _console(settings, script, now=datetime(2026, 11, 20, 9, 0, tzinfo=VN))
    _assert_transcript("broadcast.out", transcript)


async def test_scoring_scenario_survives_a_restart_and_prints_the_expected_transcript(
    settings, tmp_path
):
    scale = ROOT / "bot" / "data" / "scale-example.yaml"
    evidence = tmp_path / "minh-chung.pdf"
    evidence.write_bytes(b"%PDF-1.4 decision")
    first = [f"@secretariat file:{scale}"]
    first += (SCENARIOS / "scoring.txt").read_text(encoding="utf-8").splitlines()
    first += [f"@AGG file:{evidence}"]  # evidence for the item whose card is open (1.2)
    second = (SCENARIOS / "scoring-2.txt").read_text(encoding="utf-8").splitlines()
    transcript = await _console(settings, first, now=datetime(2026, 11, 20, 9, 0, tzinfo=VN))
    transcript += "--- restart ---\n"
    transcript += await _console(settings, second, now=datetime(2026, 11, 21, 9, 0, tzinfo=VN))
    _assert_transcript("scoring.out", transcript)


# Receipt codes and hash-chain heads are random or hold real timestamps: masked in transcripts.
RANDOM_PARTS = (
    (re.compile(r"\b[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}\b"), "XXXX-XXXX"),
    (re.compile(r"\b[0-9a-f]{16}…"), "…"),
)


def _masked(transcript: str) -> str:
    for pattern, mask in RANDOM_PARTS:
        transcript = pattern.sub(mask, transcript)
    return transcript


async def test_meeting_scenario_runs_check_in_ballots_run_off_minutes_and_audit(settings):
    script = (SCENARIOS / "meeting.txt").read_text(encoding="utf-8").splitlines()
    transcript = await _console(settings, script, now=datetime(2026, 12, 15, 9, 0, tzinfo=VN))
    _assert_transcript("meeting.out", _masked(transcript))
    assert transcript.count("✅ Đã bỏ phiếu.") == 9 + 5 + 9 + 9
    assert "Được đề nghị tặng Cờ thi đua của Chính phủ: Sở Y tế TP Cần Thơ (CTO)" in transcript
    assert "Kết luận: dữ liệu bỏ phiếu nguyên vẹn." in transcript
    assert "Đơn vị của anh/chị chưa điểm danh tại Hội nghị" in transcript


async def test_membership_scenario_changes_only_what_it_should(settings):
    script = (SCENARIOS / "membership.txt").read_text(encoding="utf-8").splitlines()
    await _console(settings, script)
    huong = await _member(settings, "huong")
    assert huong.unit.code == "AGG" and huong.member.locale == "vi"
    assert await _member(settings, "hoa") is None  # a revoked invite
    assert (await _member(settings, "minh")).unit.code == "CMU"  # demo invites never expire
    assert (await _member(settings, "lan")).unit.code == "LAN"  # @lan is Long An's, any case


async def test_half_finished_join_survives_a_restart(settings):
    first = await _console(settings, ["@huong /start"])
    assert "nhập mã mời" in first
    second = await _console(settings, ["@huong DEMO-AGG"])
    assert "Chào mừng huong" in second
    assert (await _member(settings, "huong")).unit.code == "AGG"


async def test_language_choice_survives_a_restart(settings):
    await _console(settings, ["@CTO /lang en"])
    assert "Commands you can use (chair, unit representative)" in await _console(
        settings, ["@CTO /help"]
    )


async def test_cancel_leaves_the_join_step(settings):
    out = await _console(settings, ["@huong /start", "@huong /cancel", "@huong Xin chào"])
    assert "Đã hủy thao tác đang dở." in out and "chưa tham gia cụm thi đua" in out
    assert await _member(settings, "huong") is None


async def test_secretariat_imports_the_cluster_file_in_chat(settings, tmp_path):
    renamed = tmp_path / "cum.yaml"
    renamed.write_text(
        "clusters:\n  - key: mekong-health-2024\n    name: Cụm thi đua Tây Nam bộ\n"
        "    period: 2024\n    chair: CTO\n    units:\n      - {code: CTO, name: Sở Y tế Cần Thơ}\n"
        "      - {code: NEW, name: Đơn vị mới}\n",
        encoding="utf-8",
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("clusters:\n  - key: mekong-health-2024\n    units: []\n", encoding="utf-8")
    out = await _console(
        settings,
        [
            f"@AGG file:{renamed}",
            f"@secretariat file:{broken}",
            f"@secretariat file:{renamed}",
            "@secretariat /members",
        ],
    )
    assert "Anh/chị không có quyền thực hiện thao tác này." in out
    assert (
        "Tệp danh sách cụm có 3 lỗi, chưa nhập gì:\n• cụm mekong-health-2024: thiếu trường “name”"
        in out
    )
    assert "thêm 1 đơn vị, cập nhật 1 đơn vị" in out
    assert "14. Đơn vị mới (NEW): chưa có ai tham gia" in out


async def test_bad_console_lines_are_explained(settings):
    out = await _console(settings, ["hello", "!time tomorrow", "@AGG file:/no/such.yaml"])
    assert out.count("! ") == 3


def _cli(*args, env=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        cwd=cwd or ROOT,
        timeout=60,
    )


def test_cli_imports_a_cluster_and_prints_invites(tmp_path):
    env = {"THIDUA_DATABASE_PATH": str(tmp_path / "cli.sqlite3")}
    imported = _cli("import-cluster", str(ROOT / "bot" / "data" / "clusters.yaml"), env=env)
    assert imported.returncode == 0, imported.stderr
    assert (
        "Đã nhập Khối thi đua số 9 thành phố Hà Nội (hanoi-block-9-2024): thêm 5 đơn vị"
        in imported.stdout
    )
    listed = _cli("invites", "--cluster", "hanoi-block-9-2024", env=env)
    assert listed.returncode == 0 and listed.stdout.count("/start ") == 7
    code = listed.stdout.split("SYT – Sở Y tế: /start ")[1].split()[0]
    revoked = _cli("invites", "--revoke", code, env=env)
    assert revoked.returncode == 0 and code in revoked.stdout
    again = _cli("invites", "--revoke", code, env=env)
    assert again.returncode == 1 and "đã bị thu hồi" in again.stderr


def test_cli_backs_the_database_up_into_a_new_file(tmp_path):
    env = {"THIDUA_DATABASE_PATH": str(tmp_path / "cli.sqlite3")}
    assert (
        _cli("import-cluster", str(ROOT / "bot" / "data" / "clusters.yaml"), env=env).returncode
        == 0
    )
    made = _cli("backup", str(tmp_path / "b" / "copy.sqlite3"), env=env)
    assert made.returncode == 0 and "copy.sqlite3" in made.stdout
    again = _cli("backup", str(tmp_path / "b" / "copy.sqlite3"), env=env)
    assert again.returncode == 1 and again.stderr.strip().count("\n") == 0
    restored = _cli("invites", env={"THIDUA_DATABASE_PATH": str(tmp_path / "b" / "copy.sqlite3")})
    assert restored.returncode == 0 and "Khối thi đua số 9 thành phố Hà Nội" in restored.stdout


def test_cli_names_an_unknown_cluster_in_one_line(tmp_path):
    env = {"THIDUA_DATABASE_PATH": str(tmp_path / "cli.sqlite3")}
    result = _cli("invites", "--cluster", "NOPE", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["Không tìm thấy cụm thi đua có mã “NOPE”."]


def test_cli_refuses_a_bad_setting_with_one_line_naming_it(tmp_path):
    result = _cli("invites", env={"THIDUA_TIMEZONE": "Mars/Olympus"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Invalid setting THIDUA_TIMEZONE: Value error, unknown IANA timezone"
    ]


def test_console_command_runs_a_script_file(tmp_path):
    script = tmp_path / "s.txt"
    script.write_text("@CTO /members\n", encoding="utf-8")
    result = _cli("console", "--script", str(script), "--db", str(tmp_path / "c.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert "1. Sở Y tế TP Cần Thơ (CTO) – Cụm trưởng: CTO (console)" in result.stdout


async def test_a_unit_attaches_its_report_and_the_chair_sees_the_board(settings, tmp_path):
    report = tmp_path / "bao-cao-AGG.pdf"
    report.write_bytes(b"%PDF-1.4 report")
    now = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
    out = await _console(
        settings,
        [
            "@secretariat /deadline",
            "@secretariat Báo cáo quý IV",
            "@secretariat 15/12/2026",
            "@secretariat [Tất cả đơn vị]",
            "@secretariat [Tạo hạn]",
            f"@AGG file:{report}",  # before pressing "Đã nộp": refused
            "@AGG /deadlines",
            "@AGG [Đã nộp 1]",
            "@AGG [✔ Xác nhận đã nộp]",
            "@AGG hello",
            f"@AGG file:{report}",
            "@CTO /deadlines",
            "@CTO [Xem chi tiết 1]",
        ],
        now=now,
    )
    assert "Anh/chị không có quyền thực hiện thao tác này." in out  # a rep's stray file
    assert "Vui lòng gửi tệp báo cáo, hoặc /cancel nếu không gửi tệp." in out
    assert "Đã lưu tệp bao-cao-AGG.pdf cho “Báo cáo quý IV”." in out
    chair_view = out.split("→ @cto\nBảng theo dõi hạn báo cáo:")[1]
    assert "1/13 đã nộp" in chair_view
    assert "✅ AGG – Sở Y tế An Giang – nộp lúc 20/11/2026 09:00, tệp bao-cao-AGG.pdf" in chair_view
    assert "[1] Đã nộp" in chair_view and "Đổi hạn" not in chair_view  # the chair does not manage


async def test_the_secretariat_assigns_cross_scoring_by_pairs_and_by_rotation(settings):
    scale = ROOT / "bot" / "data" / "scale-example.yaml"
    out = await _console(
        settings,
        [
            f"@secretariat file:{scale}",
            "@secretariat /crossscore AGG=BLU",
            "@secretariat /chamcheo",
            "@secretariat [Xoay vòng]",
            "@secretariat /crossscore AGG",
        ],
    )
    assert "Hệ thống gặp sự cố" not in out
    boards = out.split("Phân công chấm chéo (đơn vị ← đơn vị thẩm định):")[1:]
    assert len(boards) == 3
    assert "AGG ← BLU\nBLU ← –" in boards[0] and "AGG ← BLU\nBLU ← –" in boards[1]
    assert "AGG ← BLU\nBLU ← BTE" in boards[2] and "VLG ← CTO" in boards[2]  # the next unit
    assert "→ @blu\nĐơn vị của anh/chị được phân công chấm chéo" in out
    assert out.rstrip().endswith("hoặc chọn “Xoay vòng”.")  # "AGG" alone: how to write a pair


async def test_sheets_are_read_by_the_chair_and_returned_only_by_the_secretariat(settings):
    scale = ROOT / "bot" / "data" / "scale-example.yaml"
    out = await _console(
        settings,
        [f"@secretariat file:{scale}", "@CTO /sheets", "@AGG /bangdiem", "@secretariat /sheets"],
    )
    chair, rep, secretariat = out.split("→ @")[-3:]
    assert chair.startswith("cto\n") and "Trả lại" not in chair and "AGG" in chair
    assert rep.startswith("agg\n") and "không có quyền" in rep
    assert secretariat.startswith("secretariat\n") and "Mở lại đợt chấm" in secretariat


async def test_a_cluster_without_a_chair_unit_tells_why_no_ballot_can_run(settings):
    await _console(settings, [])  # the demo cluster, seeded
    db = await open_database(database_target(settings))
    await db.conn.execute("UPDATE periods SET chair_unit_id = NULL")  # a file without `chair:`
    await db.close()
    out = await _console(settings, ["@CTO /ballot", "@secretariat /ballot"])
    chair, secretariat = out.split("→ @")[-2:]
    for answer in (chair, secretariat):
        assert "Việc này dành cho: cụm trưởng." in answer
        assert "thêm dòng “chair: MÃ_ĐƠN_VỊ”" in answer


async def test_a_deadline_template_travels_with_its_reminder_and_only_the_secretariat_sets_it(
    settings, tmp_path
):
    template = tmp_path / "mau-bao-cao-quy.docx"
    template.write_bytes(b"PK\x03\x04 a Word template")
    now = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
    out = await _console(
        settings,
        [
            "@secretariat /deadline",
            "@secretariat Báo cáo quý IV",
            "@secretariat 30/11/2026",
            "@secretariat AGG",
            "@secretariat [Tạo hạn]",
            "@secretariat /deadlines",
            "@secretariat [Xem chi tiết 1]",
            "@secretariat [📎 Tệp mẫu]",
            "@secretariat chưa có tệp",
            f"@secretariat file:{template}",
            "!time 2026-11-27T08:01",
            "@AGG [📄 Tải mẫu]",
            "@AGG [Xem chi tiết]",
            "@AGG [📎 Tệp mẫu]",
        ],
        now=now,
    )
    assert "Vui lòng gửi tệp mẫu" in out  # text where a file is awaited changes nothing
    assert "Đã lưu tệp mẫu mau-bao-cao-quy.docx" in out
    reminder = out.split("⏱ 27/11/2026 08:01")[1]
    assert "📄 Có mẫu kèm theo" in reminder and "[1] Đã nộp  [2] 📄 Tải mẫu" in reminder
    assert "📎 mau-bao-cao-quy.docx" in reminder  # the template, one tap away
    # A representative's detail has no secretariat buttons, and a forged press is refused.
    assert "không có nút “📎 Tệp mẫu”" in reminder
