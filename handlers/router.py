"""One table of commands, buttons and conversation steps, and the wrapper every update goes
through: resolve the sender, route, and turn known errors into polite replies."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.domain.errors import DomainError, FileInvalid, Forbidden
from bot.domain.policy import Action, may
from bot.domain.typed import normalized
from bot.i18n import speaking_of, t
from bot.messages import Incoming, Reply
from bot.render import text as render
from bot.services.conversations import Step

from . import (
    admin,
    ballots,
    broadcasts,
    deadlines,
    documents,
    meeting,
    onboarding,
    results,
    scoring,
    status,
    verification,
    voting,
)
from .actions import decode
from .context import Ctx, Services

log = logging.getLogger(__name__)

CommandHandler = Callable[[Ctx, list[str]], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Command:
    name: str  # English, ASCII lowercase (Telegram's rule)
    alias: str | None  # Vietnamese without diacritics
    help_key: str
    run: CommandHandler
    needs: tuple[Action, ...] = ()  # shown in /help to roles that may do one of them; (): all


async def show_help(ctx: Ctx, args: list[str]) -> list[Reply]:
    if ctx.caller is None:
        return ctx.say(ctx.t("help.visitor"))
    roles = ctx.caller.roles
    usable = [
        (c.name, c.alias, c.help_key)
        for c in COMMANDS
        if not c.needs or any(may(roles, action) for action in c.needs)
    ]
    lines = [ctx.t("help.header", roles=render.roles_label(ctx.locale, roles))]
    lines += render.help_lines(ctx.locale, usable)
    if may(roles, Action.IMPORT_CLUSTER):
        lines.append(ctx.t("help.files"))
    return ctx.say("\n".join(lines))


COMMANDS: tuple[Command, ...] = (
    Command("start", None, "cmd.start", onboarding.start),
    Command("help", "trogiup", "cmd.help", show_help),
    Command("status", "tinhhinh", "cmd.status", status.show, (Action.VIEW_DEADLINES,)),
    Command("members", "thanhvien", "cmd.members", onboarding.members, (Action.VIEW_MEMBERS,)),
    Command("lang", "ngonngu", "cmd.lang", onboarding.language, (Action.SET_LANGUAGE,)),
    Command("invites", "mamoi", "cmd.invites", admin.invites, (Action.MANAGE_INVITES,)),
    Command("revoke", "thuhoi", "cmd.revoke", admin.revoke, (Action.MANAGE_INVITES,)),
    Command("upload", "tailen", "cmd.upload", admin.upload, admin.FILE_ACTIONS),
    Command("criteria", "tieuchi", "cmd.criteria", scoring.show_criteria, (Action.VIEW_CRITERIA,)),
    Command("score", "chamdiem", "cmd.score", scoring.start, (Action.SCORE_OWN_UNIT,)),
    Command("ranking", "xephang", "cmd.ranking", scoring.show_ranking, (Action.VIEW_RANKING,)),
    Command(
        "verify",
        "thamdinh",
        "cmd.verify",
        verification.list_for_verification,
        (Action.VERIFY_SCORES, Action.CROSS_SCORE),
    ),
    Command("sheets", "bangdiem", "cmd.sheets", verification.list_sheets, (Action.VIEW_SHEETS,)),
    Command(
        "crossscore",
        "chamcheo",
        "cmd.crossscore",
        verification.cross_scoring,
        (Action.ASSIGN_VERIFIERS,),
    ),
    Command("export", "xuat", "cmd.export", scoring.export_workbook, (Action.EXPORT,)),
    Command(
        "deadlines", "hannop", "cmd.deadlines", deadlines.list_deadlines, (Action.VIEW_DEADLINES,)
    ),
    Command(
        "deadline", "taohan", "cmd.deadline", deadlines.new_deadline, (Action.MANAGE_DEADLINES,)
    ),
    Command("broadcast", "thongbao", "cmd.broadcast", broadcasts.start, (Action.BROADCAST,)),
    Command(
        "meeting", "hoinghi", "cmd.meeting", meeting.show, (Action.OPEN_MEETING, Action.CHECK_IN)
    ),
    Command("checkin", "diemdanh", "cmd.checkin", meeting.check_in, (Action.CHECK_IN,)),
    Command("ballot", "phieu", "cmd.ballot", ballots.list_ballots, (Action.MANAGE_BALLOT,)),
    Command("vote", "bophieu", "cmd.vote", voting.start, (Action.CAST_VOTE,)),
    Command("results", "ketqua", "cmd.results", results.list_results, (Action.VIEW_RESULTS,)),
    Command("audit", "kiemtra", "cmd.audit", results.audit, (Action.VERIFY_AUDIT,)),
    Command("group", "nhom", "cmd.group", meeting.mark_group, (Action.OPEN_MEETING,)),
    Command("cancel", "huy", "cmd.cancel", onboarding.cancel),
)
_BY_NAME = {n: c for c in COMMANDS for n in (c.name, c.alias) if n}


def command_menu(locale: str) -> list[tuple[str, str]]:
    """(command, description) for a platform's command menu: names first, then aliases."""
    names = [(c.name, t(locale, c.help_key)) for c in COMMANDS]
    return names + [(c.alias, t(locale, c.help_key)) for c in COMMANDS if c.alias]


async def _menu(ctx: Ctx, entry: str) -> list[Reply]:
    handlers = {
        "members": onboarding.members,
        "help": show_help,
        "lang": onboarding.language,
        "deadlines": deadlines.list_deadlines,
        "status": status.show,
    }
    handler = handlers.get(entry)
    return await handler(ctx, []) if handler else ctx.say(ctx.t("error.stale_button"))


# Every button the bot can show: action kind -> what a press does.
BUTTONS: dict[str, Callable[..., Awaitable[list[Reply]]]] = {
    "lang": onboarding.choose_language,
    "menu": _menu,
    "done": deadlines.ask_done,
    "doneok": deadlines.mark_done,
    "doneundo": deadlines.undo_done,
    "dl": deadlines.show_deadline,
    "dlok": deadlines.confirm_pressed,
    "dlre": deadlines.reopen_pressed,
    "dlmv": deadlines.move_pressed,
    "dlcx": deadlines.cancel_pressed,
    "dlnudge": deadlines.nudge_pressed,
    "dlokall": deadlines.confirm_all_pressed,
    "dlset": deadlines.set_pressed,
    "dltpl": deadlines.template_pressed,
    "scnudge": verification.nudge_pressed,
    "dlnew": deadlines.new_deadline_choice,
    "bcto": broadcasts.audience_pressed,
    "bcgo": broadcasts.confirm_pressed,
    "ack": broadcasts.acknowledge,
    "bcst": broadcasts.show_status,
    "sc": scoring.goto,
    "scfix": scoring.correct,
    "scsum": scoring.summary_pressed,
    "scsub": scoring.submit_pressed,
    "sctpl": scoring.template_pressed,
    "vf": verification.open_sheet,
    "vfre": verification.reverify,
    "vfok": verification.finish,
    "vfans": verification.answer,
    "rtn": verification.return_pressed,
    "ccrot": verification.rotate_pressed,
    "rrop": verification.reopen_round_pressed,
    "mtg": meeting.pressed,
    "bls": ballots.list_pressed,
    "bnew": ballots.new_pressed,
    "baw": ballots.award_pressed,
    "bkind": ballots.kind_pressed,
    "bquota": ballots.quota_pressed,
    "bcand": ballots.candidates_pressed,
    "bv": ballots.show,
    "brule": ballots.rule_pressed,
    "bopen": ballots.open_pressed,
    "bdel": ballots.discard_pressed,
    "brem": ballots.remind_pressed,
    "bclose": ballots.close_pressed,
    "brun": ballots.runoff_pressed,
    "bdec": ballots.decide_toggled,
    "bdecok": ballots.decide_pressed,
    "vote": voting.paper_pressed,
    "vrev": voting.review_pressed,
    "vcast": voting.cast_pressed,
    "res": results.show,
    "bmin": documents.minutes_pressed,
    "doc": documents.document_pressed,
    "mtgp": documents.people_pressed,
}

# Conversation steps that wait for typed text: (flow, step) -> handler(ctx, step, text).
STEPS: dict[tuple[str, str], Callable[[Ctx, Step, str], Awaitable[list[Reply]]]] = {
    ("join", "code"): onboarding.join_code_typed,
    ("deadline", "title"): deadlines.title_typed,
    ("deadline", "due"): deadlines.due_typed,
    ("deadline", "units"): deadlines.units_typed,
    ("deadline_move", "due"): deadlines.new_due_typed,
    ("deadline_set", "description"): deadlines.detail_typed,
    ("deadline_set", "how"): deadlines.detail_typed,
    ("deadline_set", "template"): deadlines.detail_typed,
    ("report", "file"): deadlines.report_text_received,
    ("broadcast", "text"): broadcasts.text_typed,
    ("broadcast", "units"): broadcasts.units_typed,
    ("score", "item"): scoring.typed,
    ("score", "summary"): scoring.summary_typed,
    ("verify", "entry"): verification.verified_typed,
    ("verify_answer", "comment"): verification.comment_typed,
    ("return", "reason"): verification.return_reason_typed,
    ("reopen", "reason"): verification.reopen_reason_typed,
    ("ballot_new", "award"): ballots.award_typed,
    ("ballot_new", "quota"): ballots.quota_typed,
    ("ballot_new", "candidates"): ballots.candidates_typed,
    ("vote", "paper"): voting.codes_typed,
    **{("people", step): documents.people_typed for step in documents.PEOPLE_STEPS},
}

# Steps that take typed text where a bare number is no answer (an award's name, unit codes,
# entries that name their item): on a channel without buttons their choices are numbered, and
# "1" picks the first.
CHOICE_FIRST = frozenset(
    {
        ("ballot_new", "award"),
        ("ballot_new", "candidates"),
        ("score", "summary"),
        ("vote", "paper"),
    }
)
_TEXT_STEPS = frozenset(STEPS) - CHOICE_FIRST

# Conversation steps that wait for a file: (flow, step) -> handler(ctx, step).
FILE_STEPS = {
    ("report", "file"): deadlines.report_file_received,
    ("deadline_set", "template"): deadlines.template_received,
    ("broadcast", "audience"): broadcasts.file_received,
    ("score", "item"): scoring.evidence_received,
}


# Words people type for a command without its slash (folded: no diacritics, no case).
BARE_WORDS = {
    "huy": "cancel",
    "cancel": "cancel",
    "giup": "help",
    "trogiup": "help",
    "help": "help",
}


def parse_command(text: str) -> tuple[str, list[str]] | None:
    """'/members@thidua_bot  x y' -> ('members', ['x', 'y']); None when not a command."""
    if not text.startswith("/"):
        return None
    head, *args = text.split()
    name = head[1:].split("@", 1)[0].lower()
    return name, args


class Router:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def dispatch(self, incoming: Incoming) -> list[Reply]:
        caller = await self.services.membership.identify(incoming.channel, incoming.user_id)
        ctx = Ctx(incoming, caller, self.services, _TEXT_STEPS)
        with speaking_of(caller.cluster.kind if caller else None):
            return await self._answer(ctx)

    async def _answer(self, ctx: Ctx) -> list[Reply]:
        incoming = ctx.incoming
        try:
            try:
                return await self._route(ctx)
            except FileInvalid as error:
                return ctx.say(render.file_problems(ctx.locale, error))
            except Forbidden as error:
                return ctx.say(render.forbidden(ctx.locale, ctx.caller, error))
            except DomainError as error:
                return ctx.say(ctx.t(error.key, **error.params))
        except Exception:
            log.exception("unhandled error for %s update", incoming.channel)
            return ctx.say(ctx.t("error.internal"))

    async def _route(self, ctx: Ctx) -> list[Reply]:
        incoming = ctx.incoming
        if incoming.action is not None:
            action = decode(incoming.action)
            if action is None or action.kind not in BUTTONS:
                return ctx.say(ctx.t("error.stale_button"))
            return await BUTTONS[action.kind](ctx, *action.args)
        command = parse_command(incoming.text or "")
        if command is not None:
            name, args = command
            found = _BY_NAME.get(name)
            if found is None:
                return ctx.say(ctx.t("error.unknown_command", command=name[:32]))
            return await found.run(ctx, args)
        bare = BARE_WORDS.get(normalized(incoming.text or ""))
        if bare is not None:  # "hủy" or "giúp" typed at any step means the command
            return await _BY_NAME[bare].run(ctx, [])
        step = await self.services.conversations.current(incoming.channel, incoming.user_id)
        if incoming.attachment is not None:
            file_handler = FILE_STEPS.get((step.flow, step.step)) if step else None
            if step is not None and file_handler is not None:
                return await file_handler(ctx, step)
            return await admin.file_received(ctx)
        if incoming.text:
            handler = STEPS.get((step.flow, step.step)) if step else None
            if step is not None and handler is not None:
                return await handler(ctx, step, incoming.text)
            if ctx.caller is None:  # a code on its own joins; other chatter: how to join
                return await onboarding.stranger_typed(ctx, incoming.text)
            return ctx.say(ctx.t("error.not_understood"))
        return []
