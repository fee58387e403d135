"""Command line: `python -m bot [run|console|migrate|move-to-postgres URL|backup FILE|…]`."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import App, run_console
from bot.clock import SystemClock
from bot.config import Settings, SettingsError, database_target, load_settings
from bot.domain.errors import DomainError, FileInvalid
from bot.i18n import t
from bot.logs import configure_logging
from bot.render import text as render
from storage.db import Database, DatabaseInUse, DatabaseUnavailable, is_postgres, migrations
from storage.opening import open_database

FILES_DIR = "thidua-files"  # where the console writes the documents it sends


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="thidua chatbot")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (console with the demo cluster when no token)")
    console = commands.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--script", type=Path, help="read protocol lines from FILE and exit")
    console.add_argument("--db", type=Path, help="database file (default: THIDUA_DATABASE_PATH)")
    console.add_argument(
        "--seed",
        choices=["demo", "members", "none"],
        default="demo",
        help="demo: the demo cluster with the example scale and calendar; members: the cluster "
        "and its people only; none: an empty database",
    )
    console.add_argument(
        "--now", help="start the clock at this cluster time, e.g. 2026-11-01T08:00"
    )
    console.add_argument(
        "--files",
        type=Path,
        default=Path(FILES_DIR),
        help=f"folder the files the bot sends are written to (default: ./{FILES_DIR})",
    )
    importer = commands.add_parser("import-cluster", help="create or update clusters from YAML")
    importer.add_argument("file", type=Path)
    invites = commands.add_parser("invites", help="print (and renew) the invite codes")
    invites.add_argument("--cluster", help="cluster key (default: every cluster)")
    invites.add_argument("--revoke", metavar="CODE", help="revoke this invite code")
    backup = commands.add_parser("backup", help="copy the database (safe while the bot runs)")
    backup.add_argument("file", type=Path, help="the new file to write")
    archive = commands.add_parser(
        "audit-archive", help="move a cluster's older audit entries into a file, checkpointed"
    )
    archive.add_argument("--cluster", required=True, help="cluster key")
    archive.add_argument("--before", required=True, help="date: entries before it, e.g. 2027-01-01")
    archive.add_argument("file", type=Path, help="the new archive file (JSON lines)")
    commands.add_parser("migrate", help="bring the database's tables up to date, then stop")
    move = commands.add_parser(
        "move-to-postgres",
        help="copy the SQLite database (THIDUA_DATABASE_PATH) into a new PostgreSQL database",
    )
    move.add_argument("url", help="postgresql://user:password@host/database (new, empty)")
    verify = commands.add_parser("audit-verify", help="check an audit archive file's hash chain")
    verify.add_argument("file", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {"database_path": args.db} if getattr(args, "db", None) else {}
    try:
        settings = load_settings(**overrides)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        return _command(settings, args)
    except (DatabaseInUse, DatabaseUnavailable) as error:  # another bot has the SQLite file,
        print(error, file=sys.stderr)  # or the PostgreSQL server cannot be reached
        return 2


def _command(settings: Settings, args: argparse.Namespace) -> int:
    command = args.command or "run"
    if command == "run":
        if settings.telegram_token is None and settings.zalo_token is None:
            return _console(settings, None, "demo", None, Path(FILES_DIR))
        from bot.channels.base import ChannelRefused
        from bot.serve import run_live

        try:
            asyncio.run(run_live(settings))
        except (ChannelRefused, SettingsError) as error:
            print(error, file=sys.stderr)
            return 2
        return 0
    if command == "console":
        return _console(settings, args.script, args.seed, args.now, args.files)
    if command == "backup":
        return _backup(settings, args.file)
    if command == "audit-verify":
        return _audit_verify(args.file)
    if command == "migrate":
        return asyncio.run(_migrate(settings))
    if command == "move-to-postgres":
        return asyncio.run(_move_to_postgres(settings, args.url))
    return asyncio.run(_admin(settings, command, args))


def _console(
    settings: Settings, script: Path | None, seed: str, now: str | None, files: Path
) -> int:
    start = None
    if now:
        start = datetime.fromisoformat(now)
        if start.tzinfo is None:
            start = start.replace(tzinfo=ZoneInfo(settings.timezone))
    lines = script.read_text(encoding="utf-8").splitlines() if script else None
    if lines is None and not sys.stdin.isatty():
        lines = sys.stdin.read().splitlines()
    around = None
    if lines is None:  # an interactive session: the web pages beside it (loaded only then)
        from bot.serve import local_web

        around = lambda app: local_web(app, settings)  # noqa: E731
    asyncio.run(
        run_console(settings, lines, sys.stdout, seed=seed, now=start, files=files, around=around)
    )
    return 0


async def _migrate(settings: Settings) -> int:
    db = await open_database(database_target(settings))  # opening migrates
    try:
        latest = max(version for version, _, _ in migrations(db.dialect))
        if db.applied:
            print(f"{db.dialect}: applied {', '.join(f'{v:04d}' for v in db.applied)}")
        else:
            print(f"{db.dialect}: up to date (migration {latest:04d})")
    finally:
        await db.close()
    return 0


async def _move_to_postgres(settings: Settings, url: str) -> int:
    from storage.transfer import TransferRefused, copy_sqlite_into

    if not is_postgres(url):
        print("move refused: give a postgresql:// URL", file=sys.stderr)
        return 2
    source = Path(settings.database_path)
    try:
        Database.hold_file(source)  # the bot must be stopped: nothing may change meanwhile
        target = await open_database(url)
        try:
            copied = await copy_sqlite_into(source, target)
        finally:
            await target.close()
    except (TransferRefused, OSError) as error:
        print(f"move refused: {error}", file=sys.stderr)
        return 1
    finally:
        Database.let_go_file(source)
    total = sum(copied.values())
    print(f"{source} → PostgreSQL: {total} rows in {len(copied)} tables")
    print("Set THIDUA_DATABASE_URL to this URL and start the bot.")
    return 0


def _backup(settings: Settings, target: Path) -> int:
    from storage.backup import BackupRefused, backup

    if settings.database_url is not None:
        print("backup refused: on PostgreSQL use pg_dump (see the README)", file=sys.stderr)
        return 1

    try:
        size = backup(Path(settings.database_path), target)
    except (BackupRefused, OSError, sqlite3.Error) as error:
        print(f"backup refused: {error}", file=sys.stderr)
        return 1
    print(f"{target}: {size / 1024:.0f} KB")
    return 0


def _audit_verify(path: Path) -> int:
    from bot.services.housekeeping import verify_archive

    try:
        entries, head, digest = verify_archive(path)
    except (OSError, ValueError, KeyError) as error:
        print(f"{path}: not a valid audit archive ({error})", file=sys.stderr)
        return 1
    print(f"{path}: {entries} entries, chain intact; head {head}; file sha256 {digest}")
    return 0


async def _admin(settings: Settings, command: str, args: argparse.Namespace) -> int:
    locale = settings.default_locale
    app = await App.open(settings, SystemClock(), scheduled=False)
    membership = app.services.membership
    try:
        if command == "audit-archive":
            before = datetime.fromisoformat(args.before)
            if before.tzinfo is None:
                before = before.replace(tzinfo=ZoneInfo(settings.timezone))
            done = await app.services.housekeeping.archive_audit(args.cluster, before, args.file)
            print(f"{done.file}: {done.entries} entries archived; head {done.head}")
        elif command == "import-cluster":
            text = args.file.read_text(encoding="utf-8-sig")
            print(render.import_reports(locale, await membership.import_cluster_file(text)))
        elif args.revoke:
            view = await membership.revoke_invite(args.revoke)
            print(t(locale, "invites.revoked_ok", code=view.invite.code))
        else:
            link = await _deep_link_maker(settings)
            keys = [args.cluster] if args.cluster else [c.key for c in await membership.clusters()]
            for key in keys:
                views = await membership.invites(key)
                cluster = next(c for c in await membership.clusters() if c.key == key)
                print(render.invites(locale, cluster.name, cluster.timezone, views, link) + "\n")
        return 0
    except FileInvalid as error:
        print(render.file_problems(locale, error), file=sys.stderr)
        return 1
    except DomainError as error:
        print(t(locale, error.key, **error.params), file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        await app.close()


async def _deep_link_maker(settings: Settings):
    """Telegram deep links when a token is set (asks getMe for the username), else /start CODE."""
    if settings.telegram_token is None:
        return lambda code: f"/start {code}"
    from bot.channels.telegram import bot_username

    username = await bot_username(settings)
    return lambda code: f"https://t.me/{username}?start={code}"


if __name__ == "__main__":
    sys.exit(main())
