"""Texts shown in chat, built from catalog messages; handlers never format strings inline."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.errors import FileInvalid, Forbidden
from bot.domain.models import Role
from bot.domain.policy import ALLOWED, Action
from bot.i18n import message_template, t
from bot.services.membership import Caller, ImportReport, InviteView, Roster

ROLE_ORDER = (Role.SECRETARIAT, Role.CHAIR, Role.VICE_CHAIR, Role.UNIT_REP, Role.OBSERVER)


def local_time(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")


def roles_label(locale: str, roles: Iterable[Role]) -> str:
    present = set(roles)
    return ", ".join(t(locale, f"role.{r.value}") for r in ROLE_ORDER if r in present)


def menu(locale: str, caller: Caller) -> str:
    unit = t(locale, "start.unit_suffix", unit=caller.unit.name) if caller.unit else ""
    return t(
        locale,
        "start.menu",
        cluster=caller.cluster.name,
        name=caller.member.display_name,
        roles=roles_label(locale, caller.roles),
        unit=unit,
    )


def welcome(locale: str, caller: Caller) -> str:
    role = roles_label(locale, caller.member.roles)
    key = "join.welcome_unit" if caller.unit else "join.welcome_staff"
    text = t(
        locale,
        key,
        name=caller.member.display_name,
        cluster=caller.cluster.name,
        role=role,
        unit=caller.unit.name if caller.unit else "",
    )
    return text + "\n" + t(locale, "join.next")


def roster(locale: str, data: Roster) -> str:
    lines = [
        t(
            locale,
            "members.header",
            cluster=data.cluster.name,
            period=data.period.name if data.period else "–",
            count=len(data.units),
            joined=sum(1 for u in data.units if u.members),
        )
    ]
    for index, entry in enumerate(data.units, start=1):
        badge = ""
        if data.period and entry.unit.id == data.period.chair_unit_id:
            badge = t(locale, "members.badge.chair")
        elif data.period and entry.unit.id == data.period.vice_chair_unit_id:
            badge = t(locale, "members.badge.vice_chair")
        people = _people(locale, entry.members) or t(locale, "members.nobody")
        lines.append(
            t(
                locale,
                "members.unit",
                index=index,
                unit=entry.unit.name,
                code=entry.unit.code,
                badge=badge,
                people=people,
            )
        )
    if data.staff:
        lines.append(t(locale, "members.staff", people=_people(locale, data.staff)))
    return "\n".join(lines)


def _people(locale: str, members) -> str:
    return "; ".join(
        t(locale, "members.person", name=m.display_name, channel=m.channel) for m in members
    )


def invites(
    locale: str,
    cluster_name: str,
    timezone: str,
    views: list[InviteView],
    link: Callable[[str], str],
) -> str:
    lines = [t(locale, "invites.header", cluster=cluster_name)]
    for view in views:
        invite = view.invite
        expires = (
            t(locale, "invites.expires", date=local_time(invite.expires_at, timezone))
            if invite.expires_at
            else ""
        )
        if view.unit:
            lines.append(
                t(
                    locale,
                    "invites.unit",
                    code=view.unit.code,
                    unit=view.unit.name,
                    link=link(invite.code),
                )
                + expires
            )
        else:
            lines.append(
                t(
                    locale,
                    "invites.staff",
                    role=t(locale, f"role.{invite.role.value}"),
                    link=link(invite.code),
                )
                + expires
            )
    lines.append(t(locale, "invites.footer"))
    return "\n".join(lines)


def import_reports(locale: str, reports: list[ImportReport]) -> str:
    return "\n".join(
        t(
            locale,
            "import.done",
            cluster=r.cluster_name,
            key=r.cluster_key,
            added=r.units_added,
            updated=r.units_updated,
        )
        for r in reports
    )


def file_problems(locale: str, error: FileInvalid) -> str:
    lines = [t(locale, error.key, **error.params)]
    for key, params in error.problems:
        text = t(locale, key, **params)
        if "line" in params and "{line}" not in message_template(locale, key):  # say which line
            text = t(locale, "problem.line", line=params["line"]) + text
        lines.append(f"• {text}")
    return "\n".join(lines)


def help_lines(locale: str, commands: Iterable[tuple[str, str | None, str]]) -> list[str]:
    """One line per (name, alias, help key): '/members, /thanhvien – units and reps'."""
    lines = []
    for name, alias, help_key in commands:
        names = f"/{name}, /{alias}" if alias else f"/{name}"
        lines.append(f"{names} – {t(locale, help_key)}")
    return lines


def forbidden(locale: str, caller: Caller | None, error: Forbidden) -> str:
    """ "Not allowed", saying who may: the roles of the policy table; and when the action is
    the chair's and the cluster file names no chair unit, what the secretariat must add."""
    lines = [t(locale, error.key, **error.params)]
    action = error.params.get("action")
    if isinstance(action, str) and action in {a.value for a in Action}:
        allowed = ALLOWED[Action(action)]
        lines.append(t(locale, "error.forbidden_who", roles=roles_label(locale, allowed)))
        period = caller.period if caller else None
        if Role.CHAIR in allowed and period is not None and period.chair_unit_id is None:
            lines.append(t(locale, "error.no_chair_unit"))
    return "\n".join(lines)
