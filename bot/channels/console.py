"""A terminal chat for demos and scripted scenarios (DESIGN §4). Its line protocol is stable:

    @handle text          send text (a command or plain text) as member `handle` (any case)
    @handle [2]           press button 2 of the last message with buttons `handle` received
    @handle [Đồng ý]      press the button with that label
    @handle file:PATH     send the file at PATH (e.g. a cluster .yaml) as `handle`
    !time 2026-12-01T08:00  move the clock (cluster time)
    # comment             ignored, as is an empty line

Each message sent is printed as `→ @handle`, its text, then its buttons as `[1] a  [2] b`;
an edit in place is printed as `✎ @handle`. A file sent is written into the files folder and
its path printed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.domain.typed import whole_number
from bot.i18n import t
from bot.messages import Address, Attachment, Button, Incoming, Reply

from .base import Dispatch, Sent

NAME = "console"
_LINE = re.compile(r"^@(\w[\w.-]*)\s+(.*)$")
_PRESS = re.compile(r"^\[(.+)\]$")


class ConsoleChannel:
    name = NAME
    edits_in_place = True
    takes_documents = True
    pages_by_link = False  # an interactive session (with the local web server) turns it on

    def __init__(
        self, out: TextIO, clock, timezone: str, locale: str = "vi", files: Path | None = None
    ) -> None:
        self.out, self.clock, self.tz, self.locale = out, clock, ZoneInfo(timezone), locale
        self.files = files  # where sent files are written, so a newcomer can open them
        self._refs = itertools.count(1)
        self._last_buttons: dict[str, tuple[str, list[Button]]] = {}
        self._dispatch: Dispatch | None = None
        self.on_time_moved: list[Callable[[], Awaitable[object]]] = []
        self.after_delivery: list[Callable[[], Awaitable[object]]] = []  # e.g. drain the outbox

    account = None  # the console has no account to find

    def join_link(self, code: str) -> str:
        return f"/start {code}"

    def private_link(self) -> str | None:
        return None

    async def upload_link(self, incoming: Incoming) -> str | None:
        return None  # documents are sent in the chat itself

    async def start(self, dispatch: Dispatch) -> None:
        self._dispatch = dispatch

    async def start_polling(self) -> None:
        """Lines are fed in by `run` or `feed`; there is nothing to poll."""

    async def stop_receiving(self) -> None:
        self._dispatch = None

    async def stop(self) -> None:
        self._dispatch = None

    async def send(self, address: Address, reply: Reply, *, edit_ref: str | None = None) -> Sent:
        ref = edit_ref if (reply.edit and edit_ref) else str(next(self._refs))
        marker = "✎" if reply.edit and edit_ref else "→"
        lines = [f"{marker} @{address.chat_id}", reply.text]
        for attachment, icon in ((reply.photo, "🖼"), (reply.document, "📎")):
            if attachment is not None:  # named, not sized: sizes vary between library versions
                lines.append(f"{icon} {self._keep(attachment)}")
        flat = [b for row in reply.buttons for b in row]
        if flat:
            lines.append("  ".join(f"[{i}] {b.label}" for i, b in enumerate(flat, start=1)))
            self._last_buttons[address.chat_id] = (ref, flat)
        self._print("\n".join(lines))
        return Sent(address, ref)

    def _keep(self, attachment: Attachment) -> str:
        """The file's name, or the path it was written to when there is a folder for files."""
        if self.files is None or not attachment.data:
            return attachment.file_name
        self.files.mkdir(parents=True, exist_ok=True)
        path = self.files / Path(attachment.file_name).name  # never outside the folder
        path.write_bytes(attachment.data)
        return str(path)

    async def feed(self, line: str) -> None:
        """Handle one protocol line."""
        line = line.rstrip("\n")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return
        if stripped.startswith("!time"):
            await self._move_time(stripped[5:].strip())
            return
        match = _LINE.match(stripped)
        if match is None:
            self._print(t(self.locale, "console.bad_line", line=stripped))
            return
        handle, body = match.groups()
        handle = handle.lower()  # @AGG and @agg are the same person
        incoming = self._incoming(handle, body)
        if incoming is not None:
            await self.deliver(incoming)

    async def deliver(self, incoming: Incoming) -> None:
        assert self._dispatch is not None, "channel not started"
        for reply in await self._dispatch(incoming):
            target = reply.to or incoming.address
            edit_ref = incoming.message_ref if target == incoming.address else None
            await self.send(target, reply, edit_ref=edit_ref)
        for callback in self.after_delivery:
            await callback()

    async def run(self, lines: Iterable[str]) -> None:
        for line in lines:
            await self.feed(line)

    def _incoming(self, handle: str, body: str) -> Incoming | None:
        base = Incoming(channel=NAME, user_id=handle, chat_id=handle, display_name=handle)
        press = _PRESS.match(body.strip())
        if press:
            ref, buttons = self._last_buttons.get(handle, ("", []))
            wanted = press.group(1).strip()
            position = whole_number(wanted, 1, len(buttons))
            if position is not None:
                chosen: Button | None = buttons[position - 1]
            else:
                chosen = next((b for b in buttons if b.label == wanted), None)
            if chosen is None:
                self._print(t(self.locale, "console.no_button", handle=handle, button=wanted))
                return None
            return replace(base, action=chosen.action, message_ref=ref)
        if body.startswith("file:"):
            path = Path(body[5:].strip())
            try:
                data = path.read_bytes()
            except OSError:
                self._print(t(self.locale, "console.no_file", path=str(path)))
                return None
            return replace(base, attachment=Attachment(path.name, data))
        return replace(base, text=body)

    async def _move_time(self, text: str) -> None:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self._print(t(self.locale, "console.bad_time", text=text))
            return
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        self.clock.move_to(moment)
        self._print(f"⏱ {moment.astimezone(self.tz).strftime('%d/%m/%Y %H:%M')}")
        for callback in self.on_time_moved:
            await callback()

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()
