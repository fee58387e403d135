"""Zalo through the Zalo Bot API: the adapter that turns its updates into `Incoming` and our
replies into what Zalo can show.

Zalo has no buttons and no edits, texts of at most 2000 characters, photos by URL and no
documents. So choices become a numbered list answered by number or label (text_menus), an edit
becomes a new message, long texts are split at line breaks, and files become links served by our
own web server (when it has a public address). Updates come by long polling or by webhook; either
way they are handled one at a time, in order, by one worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.i18n import t
from bot.messages import Address, Attachment, Incoming, Reply

from .base import ChannelRefused, DeliveryFailed, Dispatch, Sent, Undeliverable, split_text
from .chat_menus import ChatMenus
from .file_links import FileLinks
from .text_menus import OutOfRange, as_text, menu_of, pick
from .upload_links import UploadLinks
from .zalo_api import MAX_TEXT, ZaloApi, ZaloApiError, ZaloUpdate, parse_update

NAME = "zalo"
MAX_DOWNLOAD = 20 * 1024 * 1024  # a report photographed on a phone
TYPING_AFTER = 0.3  # seconds of work before the person is shown "typing…"
log = logging.getLogger(__name__)
CHAT_GAP = 1.0  # seconds between queued messages to one chat


HOLD_MENU = 600.0  # seconds a reply's numbered choices stay theirs against incoming notices
IDLE_PACE = 0.5  # at least this between two idle polls (one that comes back at once)


class ZaloChannel:
    name = NAME
    pages_by_link = True  # no Mini Apps: the whole sheet opens by a link of one's own
    edits_in_place = False
    takes_documents = False  # the platform passes on text and photos only

    def __init__(
        self,
        api: ZaloApi,
        *,
        claim: Callable[[str, int | str], Awaitable[bool]],
        menus: ChatMenus,
        files: FileLinks | None,
        locale: str,
        poll_seconds: int = 30,
        uploads: UploadLinks | None = None,
    ) -> None:
        """`claim(channel, key)` says whether an update is new; `files` None: no public address,
        so files cannot be offered; `uploads`: links to the upload page (with a public address);
        `locale` is the language of the answer hints."""
        self.uploads = uploads
        self.api, self._claim, self.menus, self.files, self.locale = (
            api,
            claim,
            menus,
            files,
            locale,
        )
        self._dispatch: Dispatch | None = None
        self._updates: asyncio.Queue[ZaloUpdate] = asyncio.Queue()
        self._worker: asyncio.Task | None = None
        self._poller: asyncio.Task | None = None
        self.account: str | None = None
        self._poll_seconds = poll_seconds
        # chat id -> when a reply with choices last came (in memory: after a restart, notices
        # simply take the menu over again)
        self._working_since: dict[str, float] = {}

    def join_link(self, code: str) -> str:
        return f"/start {code}"  # no deep links: the code is typed

    def private_link(self) -> str | None:
        return None

    def chat_gap(self, chat_id: str) -> float:
        """One queued message a second in a chat, as on Telegram (Zalo publishes no figure)."""
        return CHAT_GAP

    async def upload_link(self, incoming: Incoming) -> str | None:
        """Documents cannot be sent here: a link to a page that takes one, if we have an address."""
        return await self.uploads.issue(incoming) if self.uploads else None

    async def upload_received(self, incoming: Incoming) -> list[str]:
        """A file from the upload page, answered in the chat it was asked for; the answers'
        texts, for the page to show too."""
        replies = await self._answer(incoming)
        await self._send_all(incoming.address, replies, pressed=None)
        here = incoming.address
        return [reply.text for reply in replies if (reply.to or here) == here]

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self, dispatch: Dispatch) -> None:
        """Check the token (getMe) and start handling updates as they are queued."""
        try:
            me = await self.api.get_me()
        except ZaloApiError as error:
            if error.transient:
                raise
            raise ChannelRefused(
                f"Zalo refused the token ({error}): check THIDUA_ZALO_TOKEN"
            ) from None
        self.account = me.display_name or me.account_name or me.id
        self._dispatch = dispatch
        self._worker = asyncio.create_task(self._work())

    async def start_polling(self) -> None:
        await self.api.delete_webhook()  # getUpdates answers nothing while a webhook is set
        self._poller = asyncio.create_task(self._poll(self._poll_seconds))
        log.info("Zalo: polling as %s", self.account)

    async def set_webhook(self, public_url: str, secret: str) -> None:
        url = public_url.rstrip("/") + "/zalo"
        await self.api.set_webhook(url, secret)
        log.info("Zalo: webhook set")

    async def stop_receiving(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        if self._worker is not None:
            with contextlib.suppress(TimeoutError):  # let updates already accepted be handled
                await asyncio.wait_for(self._updates.join(), 5)
            self._worker.cancel()
        await asyncio.gather(
            *(task for task in (self._poller, self._worker) if task), return_exceptions=True
        )
        self._poller = self._worker = None

    async def stop(self) -> None:
        await self.stop_receiving()
        await self.api.close()

    # -- incoming -----------------------------------------------------------------------------

    async def _poll(self, timeout: int) -> None:
        delay = 1.0
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            try:
                update = await self.api.get_updates(timeout)
            except ZaloApiError as error:
                log.warning("Zalo getUpdates failed (%s); again in %.0f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)
                continue
            delay = 1.0
            if update is not None:
                await self._updates.put(update)
            elif (spent := loop.time() - asked) < IDLE_PACE:
                # "Nothing new" answered at once (a server or proxy that does not hold the long
                # poll): pace the next poll instead of spinning.
                await asyncio.sleep(IDLE_PACE - spent)

    async def _work(self) -> None:
        while True:
            update = await self._updates.get()
            try:
                await self.handle(update)
            except Exception:
                log.exception("Zalo update not handled")
            finally:
                self._updates.task_done()

    def accept(self, data: object) -> bool:
        """Queue an update posted to the webhook; False when it is not one."""
        update = parse_update(data)
        if update is None:
            return False
        self._updates.put_nowait(update)
        return True

    async def handle(self, update: ZaloUpdate) -> None:
        message = update.message
        if message is None or message.sender.is_bot or self._dispatch is None:
            return
        if not await self._claim(NAME, message.message_id):
            log.info("Zalo message already processed, skipped")
            return
        base = Incoming(
            channel=NAME,
            user_id=message.sender.id,
            chat_id=message.chat.id,
            display_name=message.sender.full_name,
            is_private=message.chat.chat_type.upper() != "GROUP",
        )
        if update.event_name == "message.text.received" and message.text:
            incoming = await self._from_text(base, message.text)
        elif update.event_name == "message.image.received" and message.photo_url:
            photo = await self._download(message.photo_url, f"photo-{message.message_id}.jpg")
            incoming = replace(base, text=message.caption, attachment=photo)
        elif update.event_name == "message.sticker.received":
            return  # a thank-you sticker needs no answer
        else:
            incoming = Reply(t(self.locale, "file.unsupported"))
        if isinstance(incoming, Reply):  # answered here: nothing for the handlers
            replies, pressed = [incoming], None
        else:
            replies, pressed = await self._answer(incoming), incoming.message_ref
        await self._send_all(base.address, replies, pressed=pressed)

    async def _send_all(self, here: Address, replies: list[Reply], *, pressed: str | None) -> None:
        for reply in replies:
            target = reply.to or here
            edit_ref = pressed if target == here else None
            try:
                await self._reply(target, reply, edit_ref=edit_ref)
            except (Undeliverable, DeliveryFailed) as error:
                log.warning("Zalo reply not delivered: %s", error)

    async def _from_text(self, base: Incoming, text: str) -> Incoming | Reply:
        """Typed text, or the choice it names in the menu last shown in this chat."""
        if not text.startswith("/"):
            menu = await self.menus.current(NAME, base.chat_id)
            chosen = pick(menu, text) if menu else None
            if isinstance(chosen, OutOfRange):
                locale = menu.locale if menu and menu.locale else self.locale
                return Reply(t(locale, "menu.out_of_range", last=chosen.last), locale=locale)
            if menu is not None and chosen is not None:
                return replace(base, action=chosen, message_ref=menu.message_ref)
        return replace(base, text=text)

    async def _answer(self, incoming: Incoming) -> list[Reply]:
        assert self._dispatch is not None, "channel not started"
        work = asyncio.ensure_future(self._dispatch(incoming))
        done, _ = await asyncio.wait({work}, timeout=TYPING_AFTER)
        if not done:
            with contextlib.suppress(ZaloApiError):
                await self.api.send_chat_action(incoming.chat_id, "typing")
        return await work

    async def _download(self, url: str, name: str) -> Attachment:
        try:
            data = await self.api.download(url, MAX_DOWNLOAD)
        except ZaloApiError as error:
            log.warning("Zalo photo not downloaded: %s", error)
            return Attachment(name, b"", "image/jpeg", size=0)
        if data is None:
            return Attachment(name, b"", "image/jpeg", size=MAX_DOWNLOAD + 1)
        return Attachment(name, data, "image/jpeg")

    # -- outgoing -----------------------------------------------------------------------------

    async def send(self, address: Address, reply: Reply, *, edit_ref: str | None = None) -> Sent:
        """Send a notice (from the outbox). While the person is working through a reply with
        choices, a notice does not take its numbers over: its own choices answer to their label,
        beside the reply's numbered ones."""
        current = await self.menus.current(NAME, address.chat_id) if address.chat_id else None
        working = self._working_since.get(address.chat_id, -HOLD_MENU)
        if current is None or asyncio.get_running_loop().time() - working > HOLD_MENU:
            return await self._send(address, reply, edit_ref=edit_ref)
        aside = replace(reply, awaits_text=True)  # its choices listed by label
        sent = await self._send(address, aside, edit_ref=edit_ref, menu=False)
        own = menu_of(reply, sent.message_ref)
        if own is not None:
            merged = replace(current, extra=current.extra + own.choices)
            await self.menus.shown(NAME, address.chat_id, merged)
        return sent

    async def _reply(self, address: Address, reply: Reply, *, edit_ref: str | None) -> Sent:
        """Send a reply to what the person just typed; its choices are the numbered ones."""
        sent = await self._send(address, reply, edit_ref=edit_ref)
        if menu_of(reply, sent.message_ref) is not None:
            self._working_since[address.chat_id] = asyncio.get_running_loop().time()
        return sent

    async def _send(
        self, address: Address, reply: Reply, *, edit_ref: str | None, menu: bool = True
    ) -> Sent:
        """Send one message (an edit is sent as a new message) and remember its choices."""
        chat_id = address.chat_id
        if not chat_id:
            raise Undeliverable("no Zalo chat id")
        reply = self._offers_we_keep(reply)
        locale = reply.locale or self.locale
        try:
            notes = []
            photo_url = None
            if reply.photo is not None:
                photo_url = await self._link(reply.photo)
                if photo_url is None:
                    notes.append(self._no_link(reply.photo, locale))
            if reply.document is not None:
                url = await self._link(reply.document)
                notes.append(
                    t(
                        locale,
                        "file.link",
                        name=reply.document.file_name,
                        url=url,
                        days=self.files.days,
                    )
                    if url and self.files
                    else self._no_link(reply.document, locale)
                )
            # The file notes belong to the text, before the choices and their "answer by number".
            text = as_text(replace(reply, text="\n\n".join([reply.text, *notes])), locale)
            ref = await self._deliver(chat_id, text, photo_url)
        except ZaloApiError as error:
            if error.transient or error.code in (401, 408):
                raise DeliveryFailed(str(error)) from None
            raise Undeliverable(str(error)) from None
        shown = menu_of(reply, ref) if menu else None
        if shown is not None:
            await self.menus.shown(NAME, chat_id, shown)
        elif menu and reply.edit and edit_ref:
            await self.menus.withdrawn(NAME, chat_id, edit_ref)
        return Sent(address, ref)

    async def _deliver(self, chat_id: str, text: str, photo_url: str | None) -> str:
        """The text in parts of at most 2000 characters, after the photo (as its caption when
        it fits); the id of the last message sent."""
        if photo_url is not None:
            caption = text if len(text) <= MAX_TEXT else None
            sent = await self.api.send_photo(chat_id, photo_url, caption)
            if caption is not None:
                return sent.message_id
        for part in split_text(text, MAX_TEXT):
            sent = await self.api.send_message(chat_id, part)
        return sent.message_id

    def _offers_we_keep(self, reply: Reply) -> Reply:
        """Without a public address no file can be delivered: the buttons whose answer is a file
        are left out, and the text says where to get it instead."""
        if self.files is not None:
            return reply
        kept = tuple(tuple(b for b in row if not b.sends_file) for row in reply.buttons)
        kept = tuple(row for row in kept if row)
        if kept == reply.buttons:
            return reply
        elsewhere = t(reply.locale or self.locale, "file.elsewhere")
        return replace(reply, text=reply.text + "\n\n" + elsewhere, buttons=kept)

    async def _link(self, attachment: Attachment) -> str | None:
        return await self.files.share(attachment) if self.files and attachment.data else None

    def _no_link(self, attachment: Attachment, locale: str | None = None) -> str:
        return t(locale or self.locale, "file.no_link", name=attachment.file_name)

    # -- webhook ------------------------------------------------------------------------------

    def webhook_route(self, secret: str):
        """The Starlette route Zalo posts to: checks the secret, queues the update, answers at
        once (the work happens in the worker)."""
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        async def zalo(request: Request) -> Response:
            given = request.headers.get("X-Bot-Api-Secret-Token", "")
            if not secrets.compare_digest(given.encode(), secret.encode()):
                return Response(status_code=403)
            try:
                data = await request.json()
            except ValueError:
                return Response(status_code=400)
            if not self.accept(data):
                log.info("Zalo webhook: not an update, ignored")
            return Response(status_code=200)

        return Route("/zalo", zalo, methods=["POST"])
