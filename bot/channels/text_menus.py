"""Buttons as text, for a channel that has none (Zalo): the choices are listed under the message
and the person answers with the choice's number or its label.

A message whose conversation also waits for typed text (a score card: "type the score") cannot
take a bare number as a choice, since "8" is the score. Its choices are listed by label only, and
a number typed there is the answer to the question. What the person saw decides: each chat keeps
the menu of the last message that had one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.typed import normalized
from bot.i18n import t
from bot.messages import Reply

_NUMBER = re.compile(r"^[#(]?\s*([0-9]{1,3})\s*[.)]?$")


@dataclass(frozen=True)
class Menu:
    message_ref: str
    choices: tuple[tuple[str, str], ...]  # (label, action data)
    by_label: bool = False  # a bare number is typed text, not a choice
    # Choices of a notice that came while the person was working through this message: they
    # answer to their label only, so the numbers keep meaning what the person sees above.
    extra: tuple[tuple[str, str], ...] = ()
    locale: str | None = None  # the language it was shown in


@dataclass(frozen=True)
class OutOfRange:
    """A number that names no choice of the menu shown."""

    last: int


def menu_of(reply: Reply, message_ref: str) -> Menu | None:
    choices = tuple((b.label, b.action) for row in reply.buttons for b in row if not b.url)
    return Menu(message_ref, choices, reply.awaits_text, locale=reply.locale) if choices else None


def as_text(reply: Reply, locale: str) -> str:
    """The reply's text with its link buttons and its choices written out."""
    lines = [reply.text]
    # A Mini App needs Telegram's signed launch: no use as a plain link here.
    links = [
        f"🔗 {b.label}: {b.url}" for row in reply.buttons for b in row if b.url and not b.web_app
    ]
    if links:
        lines += ["", *links]
    menu = menu_of(reply, "")
    if menu is not None:
        lines.append("")
        if menu.by_label:
            lines += [f"• {label}" for label, _ in menu.choices]
            lines.append(t(locale, "menu.answer_by_label"))
        else:
            lines += [f"{i}. {label}" for i, (label, _) in enumerate(menu.choices, start=1)]
            lines.append(t(locale, "menu.answer_by_number", last=len(menu.choices)))
    return "\n".join(lines)


def pick(menu: Menu, text: str) -> str | OutOfRange | None:
    """The action the typed text chooses; None when it is not an answer to the menu."""
    number = _NUMBER.match(text.strip())
    if number and not menu.by_label:
        index = int(number.group(1))
        if 1 <= index <= len(menu.choices):
            return menu.choices[index - 1][1]
        return OutOfRange(len(menu.choices))
    wanted = normalized(text)
    if not wanted:
        return None
    everything = menu.choices + menu.extra
    matches = {action for label, action in everything if normalized(label) == wanted}
    return matches.pop() if len(matches) == 1 else None
