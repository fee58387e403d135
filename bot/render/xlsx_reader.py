"""Reading an uploaded workbook's first sheet as plain rows, safely.

An .xlsx file is a zip of XML: 2 MB can inflate to gigabytes, and one sheet can claim 16 384
columns. So the archive is checked first, in-process and cheaply (its size, every member's
inflated size and ratio), and the sheet is then read by openpyxl in a separate process with a
time and a memory limit, reading at most MAX_ROWS × MAX_COLUMNS cells. The bot's event loop only
waits for the child's answer: other chats are served meanwhile, and a file that would stall the
bot is killed and refused with the limit named.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
import zipfile
from datetime import date, datetime, time

from bot.domain.errors import InvalidInput

MAX_BYTES = 2 * 1024 * 1024  # a scale or a score form is a few kilobytes
MAX_INFLATED = 20 * 1024 * 1024  # all members together, once unzipped
MAX_RATIO = 100  # inflated / compressed size of any member
MAX_MEMBERS = 200
MAX_ROWS = 5000
MAX_COLUMNS = 64
SECONDS = 10
MEMORY_MB = 768


async def first_sheet_rows(data: bytes) -> list[list[object]]:
    """The first sheet's rows (values only), or InvalidInput naming the limit a file passed."""
    check_archive(data)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.render.xlsx_reader",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(data), SECONDS)
    except TimeoutError:
        raise InvalidInput("excel.too_slow", seconds=SECONDS) from None
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    try:
        answer = json.loads(out)
    except ValueError:  # killed by its memory limit, or crashed: the file is at fault
        raise InvalidInput("excel.too_large", limit=MAX_INFLATED // (1024 * 1024)) from None
    if "refused" in answer:
        raise InvalidInput(answer["refused"], **answer.get("params", {}))
    return answer["rows"]


def check_archive(data: bytes) -> None:
    """Size, member count, inflated size and ratio, from the zip's directory: no inflating."""
    if len(data) > MAX_BYTES:
        raise InvalidInput("excel.too_large", limit=MAX_BYTES // (1024 * 1024))
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InvalidInput("excel.unreadable") from None
    inflated = sum(m.file_size for m in members)
    ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if len(members) > MAX_MEMBERS or inflated > MAX_INFLATED or ratio > MAX_RATIO:
        raise InvalidInput("excel.too_large", limit=MAX_INFLATED // (1024 * 1024))


def read_rows(data: bytes) -> list[list[object]]:
    """In the child process: at most MAX_ROWS × MAX_COLUMNS values, as JSON-able values."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise InvalidInput("excel.unreadable") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLUMNS, values_only=True)
        return [[_plain(value) for value in row] for row in rows]
    finally:
        book.close()


def _plain(value: object) -> object:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _child() -> None:
    """`python -m bot.render.xlsx_reader`: workbook bytes on stdin, JSON rows on stdout."""
    import resource

    limit = MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (SECONDS, SECONDS))
    data = sys.stdin.buffer.read(MAX_BYTES + 1)
    try:
        answer: dict[str, object] = {"rows": read_rows(data)}
    except InvalidInput as refused:
        answer = {"refused": refused.key, "params": refused.params}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))


if __name__ == "__main__":
    _child()
