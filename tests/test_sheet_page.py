"""The whole score sheet on one phone screen, as Telegram opens it (a Mini App with signed launch
data), in Debian's Chromium driven by Playwright against uvicorn on loopback and a real SQLite
file: filled, corrected and submitted in the browser; forged, altered and stale launches are
refused and change nothing; each person sees only their own unit's sheet."""

import asyncio
import io
import json
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.async_api import async_playwright
from pydantic import SecretStr

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.clock import ShiftableClock
from bot.config import Settings
from bot.domain.models import Role
from bot.domain.scoring import SheetStatus
from bot.domain.webapp import sign_init_data
from bot.screen_pages import screen_app
from bot.services.demo import DEMO_CLUSTER, seed_demo

from .conftest import TELEGRAM_TOKEN, TEST_SECRET, VN
from .loopback import serving

ROOT = Path(__file__).resolve().parents[1]
SCALE = (ROOT / "bot" / "data" / "scale-example.yaml").read_text(encoding="utf-8")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
SHOTS = ROOT / ".screenshots"
LAN, BINH = 1001, 1002  # An Giang's and Bạc Liêu's representatives on Telegram


def _launch(user: int, *, token: str = TELEGRAM_TOKEN, age: float = 0) -> str:
    fields = {
        "auth_date": str(int(time.time() - age)),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user, "first_name": "Lan", "language_code": "vi"}),
    }
    return sign_init_data(fields, token)


@pytest.fixture
async def site(db_path):
    settings = Settings(
        _env_file=None,
        database_path=db_path,
        secret_key=SecretStr(TEST_SECRET),
        telegram_token=SecretStr(TELEGRAM_TOKEN),
    )
    clock = ShiftableClock(datetime.now(VN))
    console = ConsoleChannel(io.StringIO(), clock, settings.timezone)
    app = await App.open(settings, clock, {"console": console}, scheduled=False)
    members = app.services.membership
    await seed_demo(members)
    await members.add_member(DEMO_CLUSTER, "telegram", str(LAN), "Lan", Role.UNIT_REP, "AGG")
    await members.add_member(DEMO_CLUSTER, "telegram", str(BINH), "Bình", Role.UNIT_REP, "BLU")
    await app.services.scoring.import_scale(await members.identify("console", "secretariat"), SCALE)
    async with serving(screen_app(app)) as base:
        yield app, base
    await app.close()


async def _sheet(app: App, user: int):
    return await app.services.scoring.sheet(
        await app.services.membership.identify("telegram", str(user))
    )


async def test_a_whole_sheet_is_filled_corrected_and_submitted_in_the_browser(site):
    app, base = site
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=ARGS
        )
        page = await browser.new_page(viewport={"width": 412, "height": 900})
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await page.goto(f"{base}/app/score#tgWebAppData={quote(_launch(LAN))}")
        await page.wait_for_selector("input[name='1.1']")
        assert "Sở Y tế An Giang" in await page.inner_text("header h1")
        scores = {"1.1": "24,5", "1.2": "9.5", "1.3": "10", "1.4": "8", "2.1": "10",
                  "2.2": "5", "3.1": "9", "3.2": "10", "3.3": "5", "3.4": "4,75",
                  "B.1": "10", "B.2": "10", "T.1": "1"}  # fmt: skip
        for code, value in scores.items():
            await page.fill(f"input[name='{code}']", value)
        await page.wait_for_function(
            "document.getElementById('missing').innerText.includes('đã chấm đủ')", timeout=5000
        )
        # 24,5 + 9,5 + 10 + 8 + 10 + 5 + 9 + 10 + 5 + 4,75 = 95,75; bonus 20 capped at 15; − 1
        await page.wait_for_function(
            "document.getElementById('total').innerText === '109,75'", timeout=5000
        )
        await page.fill("input[name='1.2']", "12")  # above its maximum: refused, kept at 9,5
        await page.wait_for_selector("#error-1\\.2:not(:empty)", timeout=5000)
        assert "10" in await page.inner_text("#error-1\\.2")
        await page.fill("textarea[data-code='1.1']", "Đạt 98% kế hoạch năm")
        await page.locator("textarea[data-code='1.1']").blur()
        await page.wait_for_function(
            "document.getElementById('saved-1.1').innerText === 'đã lưu'", timeout=5000
        )
        await page.set_input_files(
            "input.evidence[data-code='1.1']",
            files=[
                {"name": "ke-hoach-2026.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}
            ],
        )
        await page.wait_for_function(
            "document.getElementById('evidence-1.1').innerText.includes('ke-hoach-2026.pdf')",
            timeout=5000,
        )
        SHOTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(SHOTS / "sheet-phone.png"), full_page=False)
        await page.click("#submit")
        await page.wait_for_selector("#submitted", timeout=5000)
        await browser.close()
    view = await _sheet(app, LAN)
    assert view.status == SheetStatus.SUBMITTED
    assert str(view.scores["1.2"]) == "9.5" and str(view.scores["1.1"]) == "24.5"
    assert view.notes["1.1"] == "Đạt 98% kế hoạch năm"
    assert view.evidence["1.1"] == "ke-hoach-2026.pdf"
    assert view.totals.total == 109.75


async def test_forged_altered_and_stale_launches_are_refused_and_change_nothing(site):
    app, base = site
    before = await _sheet(app, LAN)
    genuine = _launch(LAN)
    forged = [
        _launch(LAN, token="123456:some-other-bot"),  # signed by someone else
        genuine.replace("Lan", "Lam"),  # altered after signing
        _launch(LAN, age=2 * 3600),  # two hours old
        "",
    ]
    async with httpx.AsyncClient(base_url=base) as client:
        for launch in forged:
            headers = {"X-Init-Data": launch}
            form = await client.post("/app/score/form", headers=headers)
            save = await client.post(
                "/app/score/save", headers=headers, json={"code": "1.1", "value": "20"}
            )
            submit = await client.post("/app/score/submit", headers=headers)
            evidence = await client.post(
                "/app/score/evidence",
                headers=headers,
                data={"code": "1.1"},
                files={"file": ("qd.pdf", b"%PDF-1.4", "application/pdf")},
            )
            statuses = (form, save, submit, evidence)
            assert [r.status_code for r in statuses] == [403, 403, 403, 403]
        ok = await client.post("/app/score/form", headers={"X-Init-Data": genuine})
        assert ok.status_code == 200
    after = await _sheet(app, LAN)
    assert after.scores == before.scores and after.evidence == before.evidence


async def test_each_person_sees_only_their_own_units_sheet(site):
    app, base = site
    async with httpx.AsyncClient(base_url=base) as client:
        agg = await client.post("/app/score/form", headers={"X-Init-Data": _launch(LAN)})
        blu = await client.post("/app/score/form", headers={"X-Init-Data": _launch(BINH)})
        # The page names no unit: whoever opens it gets their own; BLU's save stays BLU's.
        await client.post(
            "/app/score/save",
            headers={"X-Init-Data": _launch(BINH)},
            json={"code": "1.1", "value": "20"},
        )
    assert "Sở Y tế An Giang" in agg.text and "Sở Y tế Bạc Liêu" not in agg.text
    assert "Sở Y tế Bạc Liêu" in blu.text
    assert "1.1" not in (await _sheet(app, LAN)).scores
    assert str((await _sheet(app, BINH)).scores["1.1"]) == "20"


async def test_score_offers_the_whole_sheet_as_a_telegram_mini_app(site, db_path):
    from bot.channels.telegram import _keyboard
    from bot.messages import Incoming

    app, _ = site
    await app.close()
    settings = app.services.settings.model_copy(
        update={"webhook_url": "https://thidua.example.vn", "webhook_secret": SecretStr("s" * 32)}
    )
    opened = await App.open(settings, ShiftableClock(datetime.now(VN)), scheduled=False)
    try:
        incoming = Incoming("telegram", str(LAN), str(LAN), "Lan", text="/score")
        replies = await opened.router.dispatch(incoming)
        button = replies[0].buttons[0][0]
        assert button.web_app and button.url == "https://thidua.example.vn/app/score"
        markup = _keyboard(replies[0]).inline_keyboard[0][0]
        assert markup.web_app.url == "https://thidua.example.vn/app/score"
        assert "Mục 1.1" in replies[1].text  # the chat's card-by-card flow stays
        console = await opened.router.dispatch(
            Incoming("console", "agg", "agg", "agg", text="/score")
        )
        assert not any(b.web_app for r in console for row in r.buttons for b in row)
    finally:
        await opened.close()


async def test_without_mini_apps_a_link_of_ones_own_opens_the_same_page_and_expires(site):
    """Zalo (and an interactive console) have no Mini Apps: /score gives a signed link."""
    from datetime import timedelta

    from bot.messages import Incoming

    app, base = site
    app.channels["console"].pages_by_link = True
    replies = await app.router.dispatch(Incoming("console", "agg", "agg", "agg", text="/score"))
    assert "/app/score#link=" in replies[0].text and "Mục 1.1" in replies[1].text
    token = replies[0].text.split("#link=")[1].split()[0]
    async with httpx.AsyncClient(base_url=base) as client:
        mine = await client.post("/app/score/form", headers={"X-Sheet-Link": token})
        assert mine.status_code == 200 and "Sở Y tế An Giang" in mine.text, mine.text
        saved = await client.post(
            "/app/score/save", headers={"X-Sheet-Link": token}, json={"code": "1.1", "value": "7,5"}
        )
        assert saved.json()["saved"] == "đã lưu"
        wrong = await client.post("/app/score/form", headers={"X-Sheet-Link": token[:-2] + "xx"})
        assert wrong.status_code == 403
        app.services.clock.move_to(app.services.clock.now() + timedelta(hours=3))
        late = await client.post("/app/score/form", headers={"X-Sheet-Link": token})
        assert late.status_code == 403 and "hết hạn" in late.text
    assert str((await _sheet(app, LAN)).scores["1.1"]) == "7.5"  # the same unit's sheet


async def test_the_sheets_side_by_side_for_those_who_follow_the_round(site):
    from datetime import timedelta

    from bot.messages import Incoming

    app, base = site
    members = app.services.membership
    agg = await members.identify("telegram", str(LAN))
    full = {c.code: str(c.max) for g in (await _sheet(app, LAN)).scale.groups for c in g.items}
    await app.services.scoring.set_scores(agg, {**full, "1.1": "20,5"})
    await app.services.scoring.submit(agg)
    app.channels["console"].pages_by_link = True
    replies = await app.router.dispatch(
        Incoming("console", "secretariat", "secretariat", "Thư ký", text="/sheets")
    )
    link = replies[-1].buttons[-1][0].url
    path = link.split("8080", 1)[1]
    async with httpx.AsyncClient(base_url=base) as client:
        page = await client.get(path)
        assert page.status_code == 200
        assert "Sở Y tế An Giang (AGG)" in page.text and "95,5" in page.text
        assert "Sở Y tế Vĩnh Long (VLG)" in page.text  # units with no sheet are listed too
        # A link in the hands of someone who may not see the sheets opens nothing.
        rep_link = await app.services.page_links.issue(agg, "sheets")
        assert (await client.get(f"/app/sheets/{rep_link}")).status_code == 403
        app.services.clock.move_to(app.services.clock.now() + timedelta(hours=3))
        assert (await client.get(path)).status_code == 410
    app.services.clock.move_to(app.services.clock.now() - timedelta(hours=3))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=ARGS
        )
        desk = await browser.new_page(viewport={"width": 1366, "height": 768})
        await desk.goto(base + path)
        assert await desk.locator("#sheets tbody tr").count() == 13
        SHOTS.mkdir(exist_ok=True)
        await desk.screenshot(path=str(SHOTS / "sheets-desktop.png"))
        await browser.close()
