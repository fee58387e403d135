"""The message contract: what every channel turns platform updates into, and what handlers and
services send back. It belongs to no channel: channels, handlers, services and the outbox all
import it downward.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


@dataclass(frozen=True)
class Button:
    label: str
    action: str = ""  # compact, versioned action data (handlers/actions.py); ≤ 64 bytes
    url: str | None = None  # a link button instead (e.g. "continue in the private chat")
    # Its answer is a file: a channel that cannot deliver files leaves the button out.
    sends_file: bool = False
    # `url` opens inside Telegram as a Mini App (signed launch data); elsewhere a plain link.
    web_app: bool = False


class Lane(IntEnum):
    """Which queued messages go first: an answer to what a person just did (a ballot receipt, a
    live view), then notices (reminders, results), then bulk announcements."""

    REPLY = 0
    NOTICE = 1
    BULK = 2


@dataclass(frozen=True)
class Attachment:
    file_name: str
    data: bytes  # empty when the file was too large to fetch
    mime_type: str | None = None
    size: int | None = None  # the size the platform announced, when known

    @property
    def byte_size(self) -> int:
        return self.size if self.size is not None else len(self.data)


@dataclass(frozen=True)
class Address:
    """Where a message goes: a chat on a channel (a private chat's id is the user's id)."""

    channel: str
    chat_id: str


@dataclass(frozen=True)
class Incoming:
    channel: str
    user_id: str
    chat_id: str
    display_name: str
    text: str | None = None
    action: str | None = None  # data of a pressed button
    attachment: Attachment | None = None
    message_ref: str | None = None  # the message whose button was pressed (for edits)
    is_private: bool = True
    language_code: str | None = None

    @property
    def address(self) -> Address:
        return Address(self.channel, self.chat_id)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False  # replace the message whose button was pressed, where the channel can
    photo: Attachment | None = None
    document: Attachment | None = None
    to: Address | None = None  # None: the chat the incoming message came from
    # The conversation also waits for typed text (e.g. a score): on a channel without buttons
    # a typed number then answers that question rather than picking a choice.
    awaits_text: bool = False
    # The recipient's language, for what a channel adds itself (how to answer a menu, where a
    # file went); None: the channel's default.
    locale: str | None = None


def reply_to_dict(reply: Reply) -> dict:
    """A text reply as JSON-able data, for the outbox."""
    return {
        "text": reply.text,
        "buttons": [
            [
                {
                    "label": b.label,
                    "action": b.action,
                    "url": b.url,
                    "sends_file": b.sends_file,
                    "web_app": b.web_app,
                }
                for b in row
            ]
            for row in reply.buttons
        ],
        "locale": reply.locale,
    }


def reply_from_dict(data: dict) -> Reply:
    return Reply(
        text=data["text"],
        buttons=tuple(
            tuple(
                Button(
                    b["label"],
                    b.get("action", ""),
                    b.get("url"),
                    b.get("sends_file", False),
                    b.get("web_app", False),
                )
                for b in row
            )
            for row in data.get("buttons", [])
        ),
        locale=data.get("locale"),
    )


def rows(*labels_and_actions: list[tuple[str, str]]) -> tuple[tuple[Button, ...], ...]:
    """Build button rows from (label, action) pairs, one list per row."""
    return tuple(
        tuple(Button(label, action) for label, action in row) for row in labels_and_actions if row
    )
