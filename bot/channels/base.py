"""The channel contract: what every adapter implements, and the failures it reports.

Handlers are written once against `bot.messages` and never import a platform library.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bot.messages import Address, Incoming, Reply


class Undeliverable(Exception):
    """The platform refuses this recipient for good (e.g. the person blocked the bot)."""


class ChannelRefused(Exception):
    """The platform will not let the bot start (a wrong or revoked token): a one-line reason."""


class DeliveryFailed(Exception):
    """A passing failure (network, server error): worth retrying later."""


@dataclass(frozen=True)
class Sent:
    address: Address
    message_ref: str


Dispatch = Callable[[Incoming], Awaitable[list[Reply]]]


class Channel(Protocol):
    name: str
    edits_in_place: bool  # False: an edit is sent as a new message
    takes_documents: bool  # False: people can send text and photos only (Zalo)
    pages_by_link: bool  # web pages open by a link of one's own (no Mini Apps)

    @property
    def account(self) -> str | None:
        """How people find the bot on this platform (Telegram: @username); None: not shown."""

    def join_link(self, code: str) -> str:
        """What joins with an invite code here: a deep link, or the text to type."""

    def private_link(self) -> str | None:
        """A link that opens the private chat with the bot, where the platform has one."""

    # Optional: `chat_gap(chat_id) -> float`, the seconds a platform asks between two queued
    # messages to one chat (the outbox keeps it; a channel without it is not paced).

    async def upload_link(self, incoming: Incoming) -> str | None:
        """Where people cannot send documents: a link to a page that takes one from the sender
        of `incoming` (None: documents go in the chat, or there is no public address)."""

    async def start(self, dispatch: Dispatch) -> None:
        """Begin delivering incoming messages to `dispatch` and sending its replies."""

    async def start_polling(self) -> None:
        """Fetch updates by long polling (when no webhook serves them)."""

    async def stop_receiving(self) -> None:
        """Take no new update; let the ones being handled finish. Sending still works."""

    async def stop(self) -> None:
        """Close the connection to the platform (after stop_receiving)."""

    async def send(self, address: Address, reply: Reply, *, edit_ref: str | None = None) -> Sent:
        """Send (or edit `edit_ref` in place, where the platform allows) one message."""


@runtime_checkable
class TakesUploads(Protocol):
    """A channel whose people send documents through an upload page (Zalo)."""

    async def upload_received(self, incoming: Incoming) -> list[str]:
        """Answer a file from the page in the chat it came for; the answers' texts."""


class WebhookChannel(Channel, Protocol):
    """A platform that can post its updates to our web server (Telegram, Zalo)."""

    def webhook_route(self, secret: str) -> Any:
        """The Starlette route the platform posts to, checking `secret`."""

    async def set_webhook(self, public_url: str, secret: str) -> None: ...


def split_text(text: str, limit: int) -> list[str]:
    """Split a long text at line breaks (or spaces) into parts of at most `limit` characters."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n ") if cut < len(text) else ""
    parts.append(text)
    return parts


# Set while the outbox sends a queued message: a channel that paces its sends lets a person's
# direct answer go first.
sending_queued: ContextVar[bool] = ContextVar("sending_queued", default=False)
