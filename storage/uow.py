"""The unit of work: one transaction over every repository."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from contextvars import ContextVar, Token

from .audit import AuditRepo
from .ballots import BallotRepo
from .broadcasts import BroadcastRepo
from .chats import ChatMenuRepo, ConversationRepo
from .clusters import ClusterRepo, PeriodRepo, UnitRepo
from .db import Database
from .deadlines import DeadlineRepo, ReminderRepo
from .documents import DocumentNumberRepo
from .files import FileLinkRepo, FileRepo, UploadLinkRepo
from .meetings import MeetingRepo
from .members import InviteRepo, MemberRepo
from .outbox import OutboxRepo
from .scoring import ScoringRepo
from .screens import PageLinkRepo, ScreenLinkRepo
from .updates import UpdateRepo

# The unit of work open in the running task, which a unit of work opened inside it joins.
_open_work: ContextVar[UnitOfWork | None] = ContextVar("thidua_open_work", default=None)


class UnitOfWork:
    """One transaction over every repository: commit on success, roll back on any error.

    Opened inside another unit of work of the same task and database, it joins that transaction
    as a savepoint: its own failure undoes only its own writes, and everything commits (or rolls
    back) together at the outermost level. So a handler can make the action and the conversation
    step one transaction without the service knowing.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._outer: UnitOfWork | None = None
        self._token: Token[UnitOfWork | None] | None = None
        self._task: asyncio.Task[object] | None = None
        conn = db.conn
        self.clusters = ClusterRepo(conn)
        self.units = UnitRepo(conn)
        self.periods = PeriodRepo(conn)
        self.members = MemberRepo(conn)
        self.invites = InviteRepo(conn)
        self.conversations = ConversationRepo(conn)
        self.audit = AuditRepo(conn)
        self.updates = UpdateRepo(conn)
        self.deadlines = DeadlineRepo(conn)
        self.reminders = ReminderRepo(conn)
        self.outbox = OutboxRepo(conn)
        self.files = FileRepo(conn)
        self.chat_menus = ChatMenuRepo(conn)
        self.file_links = FileLinkRepo(conn)
        self.upload_links = UploadLinkRepo(conn)
        self.broadcasts = BroadcastRepo(conn)
        self.scoring = ScoringRepo(conn)
        self.meetings = MeetingRepo(conn)
        self.ballots = BallotRepo(conn)
        self.document_numbers = DocumentNumberRepo(conn)
        self.screen_links = ScreenLinkRepo(conn)
        self.page_links = PageLinkRepo(conn)

    async def __aenter__(self) -> UnitOfWork:
        task = asyncio.current_task()
        outer = _open_work.get()
        if outer is not None and outer._db is self._db and outer._task is task:
            self._outer = outer
            await self._db.conn.execute(f"SAVEPOINT {self._savepoint}")
            return self
        await self._db.lock.acquire()
        try:
            await _to_the_end(self._db.conn.execute("BEGIN IMMEDIATE"))
        except asyncio.CancelledError:
            # Cancelled while beginning: the BEGIN ran to its end all the same; undo it before
            # letting go of the connection, or the next transaction would find one open.
            with contextlib.suppress(Exception):  # (no transaction if the BEGIN failed)
                await _to_the_end(self._db.conn.execute("ROLLBACK"))
            self._db.lock.release()
            raise
        except BaseException:
            self._db.lock.release()
            raise
        self._task = task
        self._changes = self._db.conn.total_changes
        self._token = _open_work.set(self)
        return self

    @property
    def _savepoint(self) -> str:
        return f"work_{id(self)}"

    async def __aexit__(self, exc_type, exc, tb) -> None:
        conn = self._db.conn
        if self._outer is not None:
            if exc_type is not None:
                await conn.execute(f"ROLLBACK TO {self._savepoint}")
            await conn.execute(f"RELEASE {self._savepoint}")
            return
        assert self._token is not None
        _open_work.reset(self._token)
        try:
            wrote = exc_type is None and conn.total_changes != self._changes
            if wrote and self._db.notify_sql:  # other processes hear of it at the commit
                await _to_the_end(conn.execute(self._db.notify_sql))
            # Cancelled or not, COMMIT or ROLLBACK runs to its end before the lock is let go.
            await _to_the_end(conn.execute("ROLLBACK" if exc_type else "COMMIT"))
            if wrote:
                self._db.changed.set()
        finally:
            self._db.lock.release()


async def _to_the_end(statement: Awaitable[object]) -> None:
    """Await a statement that must finish even if the awaiting task is cancelled meanwhile:
    the cancellation is passed on only once the statement is done."""
    running = asyncio.ensure_future(statement)
    try:
        await asyncio.shield(running)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await running
        raise
