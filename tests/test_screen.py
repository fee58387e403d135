"""The meeting's projector page in Debian's Chromium (driven by Playwright), served by uvicorn on
loopback from a real SQLite file: updates arrive pushed without a reload, a secret ballot never
shows a count while open, the result comes with its chart, and an expired link is refused."""

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from bot.app import App
from bot.clock import ShiftableClock
from bot.domain.voting import BallotKind
from bot.screen_pages import screen_app
from bot.services.demo import seed_demo

from .conftest import VN
from .loopback import serving

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
PRESENT = ("CTO", "AGG", "BLU", "BTE", "CMU", "DTP", "HGG", "KGG", "LAN", "STG")
SHOTS = Path(__file__).resolve().parents[1] / ".screenshots"  # looked at, never committed


@pytest.fixture
async def meeting(settings):
    clock = ShiftableClock(datetime(2026, 12, 18, 8, 30, tzinfo=VN))
    app = await App.open(settings, clock, scheduled=False)
    await seed_demo(app.services.membership)
    who = lambda handle: app.services.membership.identify("console", handle.lower())  # noqa: E731
    await app.services.meetings.open(await who("CTO"), "Hội nghị tổng kết, bình xét năm 2026")
    for code in PRESENT:
        await app.services.meetings.check_in(await who(code))
    async with serving(screen_app(app)) as base:
        yield app, clock, who, base
    await app.close()


@pytest.fixture
async def browser():
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=ARGS
        )
        yield chromium
        await chromium.close()


async def test_the_projector_follows_a_secret_ballot_live_and_never_shows_its_counts(
    meeting, browser
):
    app, clock, who, base = meeting
    chair = await who("CTO")
    draft = await app.services.ballot_drafts.draft(
        chair, "Cờ thi đua của Chính phủ", BallotKind.APPROVE, ["CTO", "AGG", "VLG"], 1
    )
    view = await app.services.polling.open(chair, draft.ballot.id)
    token = await app.services.screens.issue(chair)
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await page.goto(f"{base}/screen/{token}")
    assert await page.inner_text("#attendance .big") == "10/13"
    assert await page.inner_text("#turnout") == "0/10"
    await page.evaluate("window.notReloaded = true")
    for index, code in enumerate(PRESENT[:7]):
        await app.services.polling.cast(await who(code), view.ballot.id, frozenset({index % 2}))
        started = asyncio.get_running_loop().time()
        await page.wait_for_function(
            f"document.getElementById('turnout').innerText === '{index + 1}/10'", timeout=2000
        )
        assert asyncio.get_running_loop().time() - started < 2.0
        ballot = await page.inner_text("#ballot")
        assert "Bỏ phiếu kín" in ballot and not await page.query_selector("#ballot td.n")
    assert await page.evaluate("window.notReloaded") is True  # pushed, never reloaded
    assert "BLU" not in (await page.inner_text("#ballot")).split("Chưa bỏ phiếu:")[-1]
    await _shoot(page, "projector-open-1920")

    await app.services.counting.close(chair, view.ballot.id)
    await page.wait_for_selector("#result", timeout=3000)
    result = await page.inner_text("#result")
    assert "Kết quả phiếu số 1" in result and "Được đề nghị" in result
    await page.wait_for_function(
        "document.querySelector('#result img.chart').naturalWidth > 100", timeout=10_000
    )
    await _shoot(page, "projector-result-1920")
    phone = await browser.new_page(viewport={"width": 412, "height": 900})
    await phone.goto(f"{base}/screen/{token}")
    assert "Kết quả phiếu số 1" in await phone.inner_text("#result")
    await _shoot(phone, "projector-result-phone")

    clock.move_to(
        clock.now() + timedelta(hours=13)
    )  # past the link's day: the stream says so, the page too
    await page.wait_for_function("document.body.innerText.includes('đã hết hạn')", timeout=3000)
    response = await phone.goto(f"{base}/screen/{token}")
    assert response is not None and response.status == 410


async def test_an_open_ballot_shows_its_running_count_and_a_forged_link_nothing(meeting, browser):
    app, _, who, base = meeting
    chair = await who("CTO")
    draft = await app.services.ballot_drafts.draft(
        chair, "Tập thể lao động xuất sắc", BallotKind.CHOOSE, ["BLU", "BTE"], 1
    )
    await app.services.ballot_drafts.change_rule(chair, draft.ballot.id, "secret")
    view = await app.services.polling.open(chair, draft.ballot.id)
    assert not view.ballot.rules.secret
    token = await app.services.screens.issue(chair)
    page = await browser.new_page()
    await page.goto(f"{base}/screen/{token}")
    await app.services.polling.cast(await who("AGG"), view.ballot.id, frozenset({0}))
    await page.wait_for_function(
        "document.querySelector('#ballot td.n') && "
        "document.querySelector('#ballot td.n').innerText === '1'",
        timeout=2000,
    )
    for forged in ("x" * 32, token[:-1] + ("A" if token[-1] != "A" else "B")):
        response = await page.goto(f"{base}/screen/{forged}")
        assert response is not None and response.status == 410
    with pytest.raises(Exception, match="Forbidden|forbidden"):
        await app.services.screens.issue(await who("AGG"))  # a representative gets no link


async def _shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
