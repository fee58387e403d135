"""Button action data: compact, versioned, parsed in one place.

Format `1:kind:arg:arg` (at most 64 bytes, Telegram's callback_data limit). Data from a client is
never trusted: decoding only says which handler to ask, and every handler re-checks authorization.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import InvalidInput
from bot.domain.typed import whole_number

VERSION = "1"
MAX_BYTES = 64

# kind -> number of arguments it carries
KINDS: dict[str, int] = {
    "lang": 1,  # choose a language: vi | en
    "menu": 1,  # open a main-menu entry: members | help | lang
    "done": 1,  # my unit has reported (asks to confirm): deadline id
    "doneok": 1,  # confirmed: record it
    "doneundo": 1,  # take back a report marked by mistake, within minutes
    "dl": 1,  # show a deadline: id
    "dlok": 2,  # secretariat confirms a unit's report: deadline id, unit id
    "dlre": 2,  # secretariat reopens a unit: deadline id, unit id | ask (which unit?)
    "dlmv": 1,  # secretariat moves a deadline: id (then types the new due time)
    "dlcx": 2,  # secretariat cancels a deadline: id, ask | yes
    "dlnudge": 1,  # secretariat reminds now every unit not yet reported: deadline id
    "dlokall": 1,  # secretariat confirms every report received: deadline id
    "dlset": 2,  # secretariat describes a deadline: id, description | how | template
    "dltpl": 1,  # the template file of a deadline: id
    "scnudge": 1,  # secretariat reminds every unit that has not submitted its sheet (unused)
    "dlnew": 1,  # a choice in the /deadline flow: all | create | monthly | abort
    "bcto": 1,  # broadcast audience: all | reps | units
    "bcgo": 1,  # broadcast confirmation: send | abort
    "ack": 1,  # "Đã nhận" on an announcement: broadcast id
    "bcst": 1,  # delivery and acknowledgement status of a broadcast: id
    "sc": 1,  # open an item of my score sheet: criterion code
    "scfix": 1,  # from a returned-sheet notice: open the item to correct, below the notice
    "scsum": 1,  # my score sheet's summary: "0" in place | open (from a reminder, below it)
    "scsub": 1,  # submit my score sheet: ask | yes
    "sctpl": 1,  # send my sheet as an Excel form (argument unused)
    "vf": 1,  # verifier opens a unit's sheet: unit id
    "vfre": 1,  # a verifier takes a verified sheet up again (after the unit's comment): unit id
    "vfok": 1,  # verifier closes the verification: unit id
    "vfans": 2,  # unit answers the verification: round id, yes | comment
    "rtn": 1,  # secretariat returns a unit's sheet: unit id (then types the reason)
    "ccrot": 1,  # secretariat assigns cross-scoring by rotation (argument unused)
    "rrop": 1,  # secretariat reopens the scoring round (argument unused)
    "mtg": 1,  # the meeting card: open | view | close | in (check in)
    "bls": 1,  # the chair's list of the meeting's ballots (argument unused)
    "bnew": 1,  # draft a new ballot (argument unused)
    "baw": 1,  # the award of the new ballot: index in the cluster's awards
    "bkind": 1,  # its kind: approve | choose | elect
    "bquota": 1,  # its quota
    "bcand": 1,  # its candidates: index of a proposal
    "bv": 1,  # the chair's card of a ballot: id
    "brule": 2,  # step a draft's rule: id, quota | threshold | denominator | secret | tie | close
    "bopen": 1,  # open a draft: id
    "bdel": 1,  # discard a draft: id
    "brem": 1,  # remind the units still to vote: id
    "bclose": 2,  # close a ballot: id, ask | yes
    "brun": 1,  # a run-off among the units tied at the cut: id
    "bdec": 2,  # the chair's pick among tied units: id, bit mask of positions after the toggle
    "bdecok": 2,  # confirm that pick: id, mask
    "vote": 2,  # the ballot paper: id, bit mask of marked candidates
    "vrev": 2,  # review before casting: id, mask
    "vcast": 2,  # cast: id, mask
    "res": 1,  # the result of a closed ballot: id
    "bmin": 2,  # its minutes: id, pdf | docx | xlsx
    "doc": 2,  # a document: meeting | a<award index> | summary, then ask | pdf | docx
    "mtgp": 1,  # the meeting's place and people, typed in four steps (argument unused)
}


def number(field: str) -> int:
    """A number a button carries (an id, an index); a forged one is a stale button."""
    value = whole_number(field)
    if value is None:
        raise InvalidInput("error.stale_button")
    return value


@dataclass(frozen=True)
class Action:
    kind: str
    args: tuple[str, ...]


def encode(kind: str, *args: str) -> str:
    if KINDS.get(kind) != len(args) or any(":" in a for a in args):
        raise ValueError(f"bad action {kind}{args}")
    data = ":".join((VERSION, kind, *args))
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"action data over {MAX_BYTES} bytes: {data}")
    return data


def decode(data: str | None) -> Action | None:
    """The action, or None for anything stale, forged or malformed (any character outside
    printable ASCII among them)."""
    if not data or len(data.encode()) > MAX_BYTES or not all(" " < c < "\x7f" for c in data):
        return None
    version, _, rest = data.partition(":")
    kind, *args = rest.split(":") if rest else ("",)
    if version != VERSION or KINDS.get(kind) != len(args):
        return None
    return Action(kind, tuple(args))
