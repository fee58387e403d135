"""A bare python-telegram-bot Application, the baseline of bench.cast_vs_echo: every button
press is answered and its message edited, nothing else, with PTB's own rate limiter at the same
29.5 messages a second as thidua.

    python -m bench.echo_bot BASE_URL
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import AIORateLimiter, Application, CallbackQueryHandler, ContextTypes

from tests.fake_telegram import TOKEN


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text("✅ Đã bỏ phiếu.")


def main() -> None:
    application = (
        Application.builder()
        .token(TOKEN)
        .base_url(sys.argv[1])
        .rate_limiter(AIORateLimiter(overall_max_rate=1, overall_time_period=1 / 29.5))
        .concurrent_updates(256)
        .build()
    )
    application.add_handler(CallbackQueryHandler(echo))
    application.run_polling(poll_interval=0.0, timeout=10, drop_pending_updates=False)


if __name__ == "__main__":
    main()
