"""What a handler gets: the incoming message, who sent it, and the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from bot.clock import Clock
from bot.config import Settings
from bot.domain.errors import NotAMember
from bot.i18n import t
from bot.messages import Button, Incoming, Reply
from bot.services.ballots import Ballots
from bot.services.broadcasts import Broadcasts
from bot.services.conversations import Conversations, Step
from bot.services.deadlines import Deadlines
from bot.services.meetings import Meetings
from bot.services.membership import Caller, Membership
from bot.services.scoring import Scoring
from scheduler.engine import ReminderEngine


@dataclass
class Services:
    settings: Settings
    clock: Clock
    membership: Membership
    conversations: Conversations
    deadlines: Deadlines
    broadcasts: Broadcasts
    scoring: Scoring
    meetings: Meetings
    ballots: Ballots
    engine: ReminderEngine | None = None  # set once channels run; re-armed after changes
    # channel name -> how an invite code becomes a join link there (Telegram: a deep link)
    join_links: dict[str, Callable[[str], str]] = field(default_factory=dict)
    # channel name -> the bot's account there, as people search for it (Telegram: @username)
    accounts: dict[str, str] = field(default_factory=dict)
    # channel name -> link that opens the private chat with the bot (for steps kept private)
    private_links: dict[str, Callable[[], str]] = field(default_factory=dict)

    def join_link(self, channel: str, code: str) -> str:
        make = self.join_links.get(channel)
        return make(code) if make else f"/start {code}"

    def private_link(self, channel: str) -> str | None:
        make = self.private_links.get(channel)
        return make() if make else None


@dataclass
class Ctx:
    incoming: Incoming
    caller: Caller | None
    services: Services
    awaiting_text: bool = False  # a text step was set in this update: replies below await it
    text_steps: ClassVar[frozenset[tuple[str, str]]] = frozenset()  # set by the router

    @property
    def locale(self) -> str:
        if self.caller and self.caller.member.locale:
            return self.caller.member.locale
        return self.services.settings.default_locale

    @property
    def member(self) -> Caller:
        if self.caller is None:
            raise NotAMember()
        return self.caller

    async def expect(self, step: Step) -> None:
        """The sender's next typed text (or file) belongs to this conversation step."""
        await self.services.conversations.expect(self.incoming.channel, self.incoming.user_id, step)
        self.awaiting_text = (step.flow, step.step) in self.text_steps

    async def step(self) -> Step | None:
        return await self.services.conversations.current(
            self.incoming.channel, self.incoming.user_id
        )

    async def finish(self) -> None:
        await self.services.conversations.finish(self.incoming.channel, self.incoming.user_id)
        self.awaiting_text = False

    async def rearm(self) -> None:
        """Something due may have changed: let the reminder engine re-plan its wake-up."""
        if self.services.engine is not None:
            await self.services.engine.poke()

    def t(self, key: str, /, **params: object) -> str:
        return t(self.locale, key, **params)

    def say(
        self, text: str, buttons: tuple[tuple[Button, ...], ...] = (), *, edit: bool = False
    ) -> list[Reply]:
        return [
            Reply(
                text=text,
                buttons=buttons,
                edit=edit and self.incoming.action is not None,
                awaits_text=self.awaiting_text,
            )
        ]
