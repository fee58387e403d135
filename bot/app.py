"""Wiring: open storage, build services and the router, start a channel, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from bot.channels.base import Channel
from bot.channels.console import ConsoleChannel
from bot.clock import Clock, ShiftableClock
from bot.config import LOCALES, Settings, database_target
from bot.i18n import t
from bot.services.ballot_drafts import BallotDrafts
from bot.services.broadcasts import Broadcasts
from bot.services.conversations import Conversations
from bot.services.counting import Counting
from bot.services.deadlines import Deadlines
from bot.services.demo import seed_demo, seed_example_year
from bot.services.housekeeping import Housekeeping
from bot.services.live_views import LiveViews
from bot.services.meetings import Meetings
from bot.services.membership import Membership
from bot.services.paperwork import Paperwork
from bot.services.polling import Polling
from bot.services.reminders import Reminders
from bot.services.scoring import Scoring
from bot.services.screens import PageLinks, Screens
from bot.services.sealing import DEMO_SECRET, Sealer
from bot.services.updates import UpdateLog
from bot.services.verification import Verification
from handlers.context import Services
from handlers.notices import ChatNotices
from handlers.router import Router, command_menu
from scheduler.engine import ReminderEngine
from scheduler.outbox import OutboxDispatcher
from storage.db import Database
from storage.opening import open_database

log = logging.getLogger("thidua")


ChannelFactory = Callable[[Database, UpdateLog], dict[str, Channel]]


@dataclass
class App:
    db: Database
    services: Services
    router: Router
    updates: UpdateLog
    channels: dict[str, Channel]
    engine: ReminderEngine

    @classmethod
    async def open(
        cls,
        settings: Settings,
        clock: Clock,
        channels: ChannelFactory | dict[str, Channel] | None = None,
        *,
        scheduled: bool = True,
    ) -> App:
        """Everything wired once, nothing written in afterwards. `channels` are built from the
        database and the update log (or given whole); `scheduled` False: the engine ticks only
        when called (scripted console runs stay deterministic)."""
        db = await open_database(database_target(settings))
        updates = UpdateLog(db, clock)
        live = channels(db, updates) if callable(channels) else dict(channels or {})
        notices = ChatNotices()
        batched = frozenset(name for name, ch in live.items() if not ch.edits_in_place)
        live_views = LiveViews(db, clock, settings, notices, batched)
        secret = settings.secret_key.get_secret_value() if settings.secret_key else None
        sealer = Sealer(secret)
        reminders = Reminders(db, clock, settings, notices)
        services = Services(
            settings=settings,
            clock=clock,
            membership=Membership(db, clock, settings),
            conversations=Conversations(db, clock),
            deadlines=Deadlines(db, clock, settings, notices),
            broadcasts=Broadcasts(db, clock, settings, notices),
            scoring=Scoring(db, clock, settings, notices),
            verification=Verification(db, clock, settings, notices),
            meetings=Meetings(db, clock, settings, notices),
            ballot_drafts=BallotDrafts(db, clock),
            polling=Polling(db, clock, settings, notices, live_views, sealer),
            counting=Counting(db, clock, settings, notices, live_views, sealer),
            live_views=live_views,
            housekeeping=Housekeeping(db, clock, settings),
            paperwork=Paperwork(db, clock),
            screens=Screens(db, clock),
            page_links=PageLinks(db, clock),
            channels=live,
        )
        outbox = OutboxDispatcher(db, clock, live, on_undeliverable=reminders.report_undeliverable)
        scheduler = None
        if scheduled:  # APScheduler loads only with real timers (a scripted console has none)
            from apscheduler.schedulers.asyncio import AsyncIOScheduler

            scheduler = AsyncIOScheduler(timezone="UTC")
        engine = ReminderEngine(
            db,
            reminders,
            services.counting,
            services.housekeeping,
            live_views,
            outbox,
            clock,
            scheduler,
        )
        return cls(db, services, Router(services), updates, live, engine)

    async def start_engine(self) -> ReminderEngine:
        """Catch up on what is due, then wake on queued work and on time."""
        await self.engine.start()
        return self.engine

    async def close(self) -> None:
        await self.engine.stop()
        await self.db.close()


def telegram_commands() -> dict[str, list[tuple[str, str]]]:
    """setMyCommands lists per language: every command and its alias, described."""
    return {locale: command_menu(locale) for locale in LOCALES}


async def run_console(
    settings: Settings,
    lines: Iterable[str] | None,
    out: TextIO,
    *,
    seed: str | None = "demo",
    now: datetime | None = None,
    files: Path | None = None,
    around: Callable[[App], AbstractAsyncContextManager] | None = None,
) -> None:
    """Run the bot in a terminal; `lines` None reads stdin interactively until EOF. `files`:
    the folder the documents it sends are written to (None: named only); `around(app)`: what
    runs alongside an interactive session (the local web server with the projector screen)."""
    clock = ShiftableClock(now)
    if settings.secret_key is None:  # the demo seals with a public key: demo secrecy only
        settings = settings.model_copy(update={"secret_key": SecretStr(DEMO_SECRET)})
    channel = ConsoleChannel(out, clock, settings.timezone, settings.default_locale, files)
    # A script is replayed in a fixed order: the engine runs when the clock moves and after each
    # message, never in the background; an interactive session also gets real timers.
    app = await App.open(settings, clock, {channel.name: channel}, scheduled=lines is None)
    try:
        if seed in ("demo", "members"):
            await seed_demo(app.services.membership)
        if seed == "demo":  # "members": the cluster and its people only, for scripted scenarios
            services = app.services
            await seed_example_year(services.membership, services.scoring, services.deadlines)
        await channel.start(app.router.dispatch)
        engine = await app.start_engine()
        channel.on_time_moved.append(engine.tick)
        channel.after_delivery.append(engine.tick)
        if lines is not None:
            await channel.run(lines)
        else:
            out.write(t(settings.default_locale, "console.hello") + "\n")
            channel.pages_by_link = around is not None  # the local web server serves them
            loop = asyncio.get_running_loop()
            async with around(app) if around else contextlib.nullcontext():
                while line := await loop.run_in_executor(None, sys.stdin.readline):
                    await channel.feed(line)
        await channel.stop()
    finally:
        await app.close()
