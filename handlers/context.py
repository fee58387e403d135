"""What a handler gets: the incoming message, who sent it, and the services."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

from bot.clock import Clock
from bot.config import Settings
from bot.domain.errors import InvalidInput, NotAMember
from bot.i18n import t
from bot.messages import Attachment, Button, Incoming, Reply
from bot.services.ballot_drafts import BallotDrafts
from bot.services.broadcasts import Broadcasts
from bot.services.conversations import Conversations, Step
from bot.services.counting import Counting
from bot.services.deadlines import Deadlines
from bot.services.housekeeping import Housekeeping
from bot.services.live_views import LiveViews
from bot.services.meetings import Meetings
from bot.services.membership import Caller, Membership
from bot.services.paperwork import Paperwork
from bot.services.polling import Polling
from bot.services.scoring import Scoring
from bot.services.screens import PageLinks, Screens
from bot.services.verification import Verification


class ChannelFacts(Protocol):
    """What a handler may ask of a channel: how people reach the bot there."""

    @property
    def account(self) -> str | None: ...

    @property
    def takes_documents(self) -> bool: ...

    def join_link(self, code: str) -> str: ...

    def private_link(self) -> str | None: ...

    async def upload_link(self, incoming: Incoming) -> str | None: ...

    # Web pages open by a link of the person's own (no Mini Apps: Zalo, an interactive console).
    pages_by_link: bool


@dataclass
class Services:
    settings: Settings
    clock: Clock
    membership: Membership
    conversations: Conversations
    deadlines: Deadlines
    broadcasts: Broadcasts
    scoring: Scoring
    verification: Verification
    meetings: Meetings
    ballot_drafts: BallotDrafts
    polling: Polling
    counting: Counting
    live_views: LiveViews
    housekeeping: Housekeeping
    paperwork: Paperwork
    screens: Screens
    page_links: PageLinks
    # The running channels, read for what they tell people (links, accounts), never sent on.
    channels: Mapping[str, ChannelFacts] = field(default_factory=dict)

    def join_link(self, channel: str, code: str) -> str:
        found = self.channels.get(channel)
        return found.join_link(code) if found else f"/start {code}"

    def private_link(self, channel: str) -> str | None:
        found = self.channels.get(channel)
        return found.private_link() if found else None

    def pages_by_link(self, channel: str) -> bool:
        found = self.channels.get(channel)
        return bool(getattr(found, "pages_by_link", False))

    async def upload_link(self, incoming: Incoming) -> str | None:
        found = self.channels.get(incoming.channel)
        return await found.upload_link(incoming) if found else None

    def takes_documents(self, channel: str) -> bool:
        """Whether people can send the bot documents (Excel, PDF) on `channel`."""
        found = self.channels.get(channel)
        return found.takes_documents if found else True

    def accounts(self) -> dict[str, str]:
        """Channel name -> the bot's account there, as people search for it."""
        return {name: ch.account for name, ch in self.channels.items() if ch.account}


@dataclass
class Ctx:
    incoming: Incoming
    caller: Caller | None
    services: Services
    # Conversation steps that wait for typed text (the router's table).
    text_steps: frozenset[tuple[str, str]] = frozenset()
    awaiting_text: bool = False  # a text step was set in this update: replies below await it

    @property
    def locale(self) -> str:
        if self.caller and self.caller.member.locale:
            return self.caller.member.locale
        return self.services.settings.default_locale

    @property
    def attachment(self) -> Attachment:
        """The file this update carries (file handlers are only routed updates with one)."""
        if self.incoming.attachment is None:
            raise InvalidInput("error.not_understood")
        return self.incoming.attachment

    @property
    def member(self) -> Caller:
        if self.caller is None:
            raise NotAMember()
        return self.caller

    async def expect(self, step: Step) -> None:
        """The sender's next typed text (or file) belongs to this conversation step."""
        await self.services.conversations.expect(self.incoming.channel, self.incoming.user_id, step)
        self.awaiting_text = (step.flow, step.step) in self.text_steps

    def atomic(self) -> AbstractAsyncContextManager[object]:
        """`async with ctx.atomic():` the action and the conversation step commit together."""
        return self.services.conversations.together()

    async def step(self) -> Step | None:
        return await self.services.conversations.current(
            self.incoming.channel, self.incoming.user_id
        )

    async def finish(self) -> None:
        await self.services.conversations.finish(self.incoming.channel, self.incoming.user_id)
        self.awaiting_text = False

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
                locale=self.locale,
            )
        ]
