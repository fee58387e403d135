"""Wiring: open storage, build services and the router, start a channel, stop cleanly."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from bot.channels.console import ConsoleChannel
from bot.config import LOCALES, Settings
from bot.i18n import t
from bot.services.conversations import Conversations
from bot.services.demo import seed_demo
from bot.services.membership import Membership
from bot.services.updates import UpdateLog
from handlers.context import Services
from handlers.router import Router, command_menu
from scheduler.clock import Clock, ShiftableClock
from storage.db import Database

log = logging.getLogger("thidua")


@dataclass
class App:
    db: Database
    services: Services
    router: Router
    updates: UpdateLog

    @classmethod
    async def open(cls, settings: Settings, clock: Clock) -> App:
        db = await Database.open(settings.database_path)
        services = Services(
            settings=settings,
            clock=clock,
            membership=Membership(db, clock, settings),
            conversations=Conversations(db, clock),
        )
        return cls(db, services, Router(services), UpdateLog(db, clock))

    async def close(self) -> None:
        await self.db.close()


def telegram_commands() -> dict[str, list[tuple[str, str]]]:
    """setMyCommands lists per language: every command and its alias, described."""
    return {locale: command_menu(locale) for locale in LOCALES}


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request URL, and a Bot API URL holds the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def run_console(
    settings: Settings,
    lines: Iterable[str] | None,
    out: TextIO,
    *,
    seed: str | None = "demo",
    now: datetime | None = None,
) -> None:
    """Run the bot in a terminal; `lines` None reads stdin interactively until EOF."""
    clock = ShiftableClock(now)
    app = await App.open(settings, clock)
    try:
        if seed == "demo":
            await seed_demo(app.services.membership)
        channel = ConsoleChannel(out, clock, settings.timezone, settings.default_locale)
        await channel.start(app.router.dispatch)
        if lines is not None:
            await channel.run(lines)
        else:
            out.write(t(settings.default_locale, "console.hello") + "\n")
            loop = asyncio.get_running_loop()
            while line := await loop.run_in_executor(None, sys.stdin.readline):
                await channel.feed(line)
        await channel.stop()
    finally:
        await app.close()
