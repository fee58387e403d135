"""Start-up: `python -m bot console` with the demo seed, from launch until it has answered one
`/help` and exited, against `python -c "import telegram"` (the floor any python-telegram-bot
process pays). Each round runs both, one after the other, on a fresh database; the figures are
medians of the rounds, and the ratio is taken round by round.

    python -m bench.startup [ROUNDS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 5
TARGET_RATIO = 2.5


def _timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[:4]} failed: {done.stderr[-500:]}")
    return elapsed


def main(rounds: int = ROUNDS) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        script = folder / "help.txt"
        script.write_text("@CTO /help\n", encoding="utf-8")
        bot_runs, floor_runs, ratios = [], [], []
        _timed([sys.executable, "-c", "import telegram"], folder)  # warm the file cache
        for number in range(rounds + 1):
            db = folder / f"round-{number}.sqlite3"
            console = [sys.executable, "-m", "bot", "console", "--script", str(script)]
            bot_seconds = _timed([*console, "--db", str(db)], folder)
            floor_seconds = _timed([sys.executable, "-c", "import telegram"], folder)
            if number == 0:
                continue  # the first round warms up
            bot_runs.append(bot_seconds)
            floor_runs.append(floor_seconds)
            ratios.append(bot_seconds / floor_seconds)
    ratio = statistics.median(ratios)
    print(f"startup_seconds = {statistics.median(bot_runs):.3f} s (median of {rounds})")
    print(f"import_telegram_seconds = {statistics.median(floor_runs):.3f} s (median of {rounds})")
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(f"startup_vs_import_telegram = {ratio:.2f} x (target <= {TARGET_RATIO}) {verdict}")
    return ratio <= TARGET_RATIO


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS) else 1)
