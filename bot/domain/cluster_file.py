"""The cluster file (format of shared/domain/clusters.yaml), every problem listed at once."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from .documents import Letterhead, parse_letterhead
from .errors import FileInvalid
from .voting import parse_ballot_defaults
from .yaml_file import read_yaml
from .yaml_text import mended_text

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class UnitSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str
    name: str


class ClusterSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    key: str
    name: str
    kind: str = "cụm"
    period: str
    chair: str | None = None
    vice_chair: str | None = None
    units: tuple[UnitSpec, ...]
    awards: tuple[str, ...] = ()
    ballot_defaults: dict = {}  # BallotDefaults.to_dict()
    letterhead: Letterhead = Letterhead()


Problem = tuple[str, dict[str, object]]


def parse_cluster_file(text: str) -> list[ClusterSpec]:
    """Parse and validate; raise FileInvalid listing every problem found."""
    data = read_yaml(text, "cluster_file.invalid")
    raw_clusters = data.get("clusters") if isinstance(data, dict) else None
    if not isinstance(raw_clusters, list) or not raw_clusters:
        raise FileInvalid([("cluster_file.no_clusters", {})])

    problems: list[Problem] = []
    specs: list[ClusterSpec] = []
    seen_keys: set[str] = set()
    for index, raw in enumerate(raw_clusters, start=1):
        spec = _cluster(index, raw, problems)
        if spec is None:
            continue
        if spec.key in seen_keys:
            problems.append(("cluster_file.duplicate_cluster", {"cluster": spec.key}))
        seen_keys.add(spec.key)
        specs.append(spec)
    if problems:
        raise FileInvalid(problems)
    return specs


def _text(value: object) -> str | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()
    return None


def _cluster(index: int, raw: object, problems: list[Problem]) -> ClusterSpec | None:
    if not isinstance(raw, dict):
        problems.append(("cluster_file.not_a_mapping", {"cluster": index}))
        return None
    start = len(problems)
    key = _text(raw.get("key"))
    label = key or str(index)
    for field in ("key", "name", "period"):
        if _text(raw.get(field)) is None:
            problems.append(("cluster_file.missing_field", {"cluster": label, "field": field}))
    if key is not None and not _KEY.match(key):
        problems.append(("cluster_file.bad_key", {"cluster": label}))

    units = _units(raw.get("units"), label, problems)
    codes = {u.code for u in units}

    for field in ("chair", "vice_chair"):
        code = _text(raw.get(field))
        if code is not None and code.upper() not in codes:
            problems.append(
                ("cluster_file.unknown_unit", {"cluster": label, "field": field, "code": code})
            )
    awards = raw.get("awards") or []
    if not isinstance(awards, list) or any(_text(a) is None for a in awards):
        problems.append(("cluster_file.bad_awards", {"cluster": label}))
        awards = []
    defaults = parse_ballot_defaults(raw.get("ballot_defaults"))
    if defaults is None:
        problems.append(("cluster_file.bad_ballot_defaults", {"cluster": label}))

    letterhead = parse_letterhead(raw.get("letterhead"))
    if letterhead is None:
        problems.append(("cluster_file.bad_letterhead", {"cluster": label}))

    if len(problems) > start or defaults is None or letterhead is None:
        return None
    chair, vice = _text(raw.get("chair")), _text(raw.get("vice_chair"))
    return ClusterSpec(
        key=key,
        name=_text(raw["name"]),
        kind=_text(raw.get("kind")) or "cụm",
        period=_text(raw["period"]),
        chair=chair.upper() if chair else None,
        vice_chair=vice.upper() if vice else None,
        units=tuple(units),
        awards=tuple(_text(a) for a in awards),
        ballot_defaults=defaults.to_dict(),
        letterhead=letterhead,
    )


def _units(raw_units: object, label: str, problems: list[Problem]) -> list[UnitSpec]:
    """The cluster's member units: each with a code (unique, upper-cased) and a name."""
    units: list[UnitSpec] = []
    codes: set[str] = set()
    if not isinstance(raw_units, list) or not raw_units:
        problems.append(("cluster_file.no_units", {"cluster": label}))
        return units
    for position, raw_unit in enumerate(raw_units, start=1):
        code = _text(raw_unit.get("code")) if isinstance(raw_unit, dict) else None
        name = (
            mended_text(raw_unit, "name", {"code", "name"})
            if isinstance(raw_unit, dict) and _text(raw_unit.get("name"))
            else None
        )
        if code is None or name is None:
            problems.append(("cluster_file.bad_unit", {"cluster": label, "position": position}))
            continue
        if not _CODE.match(code):
            problems.append(("cluster_file.bad_unit_code", {"cluster": label, "code": code}))
            continue
        code = code.upper()
        if code in codes:
            problems.append(("cluster_file.duplicate_unit", {"cluster": label, "code": code}))
            continue
        codes.add(code)
        units.append(UnitSpec(code=code, name=name))
    return units
