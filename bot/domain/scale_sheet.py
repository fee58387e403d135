"""A scale typed in Excel the way offices do (STT | Nội dung | Điểm tối đa, groups numbered I, II,
III, then "Điểm thưởng" and "Điểm trừ" sections, a "Tổng cộng" row), turned into the scale file."""

from __future__ import annotations

import re
from decimal import Decimal

import yaml

from .errors import FileInvalid, InvalidInput
from .scoring import Scale, check_score, parse_score
from .typed import exact_decimal

_ROMAN = re.compile(r"^(?=[IVXLC])(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_BONUS = ("điểm thưởng", "điểm cộng", "cộng điểm", "bonus")
_DEDUCTIONS = ("điểm trừ", "trừ điểm", "deduction")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value).rstrip("0").rstrip(".") if "." in repr(value) else repr(value)
    return " ".join(str(value).split())


def _header(rows: list[list[object]]) -> tuple[int, int, int, int] | None:
    """(row index, code column, title column, max column) of the table's header row."""
    for index, row in enumerate(rows[:20]):
        cells = [_text(c).lower() for c in row]
        title = next((i for i, c in enumerate(cells) if "nội dung" in c or "tiêu chí" in c), None)
        maximum = next((i for i, c in enumerate(cells) if "điểm" in c and i != title), None)
        code = next(
            (i for i, c in enumerate(cells) if c in ("stt", "tt", "mã", "mã số", "số tt")), None
        )
        if title is not None and maximum is not None:
            return index, code if code is not None else max(title - 1, 0), title, maximum
    return None


def scale_yaml_from_rows(rows: list[list[object]], name: str) -> str:
    """The scale file's text; its own validation (parse_scale) then lists any remaining problem."""
    found = _header(rows)
    if found is None:
        raise FileInvalid([("scale_sheet.no_header", {})], "scale.invalid")
    start, code_col, title_col, max_col = found
    # A title line above the table ("BẢNG ĐIỂM THI ĐUA NĂM 2024") names the scale.
    name = next((_text(r[0]) for r in rows[:start] if r and _text(r[0])), name)
    groups: list[dict] = []
    bonus: dict = {"items": []}
    deductions: dict = {"items": []}
    total = None
    mode = "groups"
    problems: list[tuple[str, dict[str, object]]] = []
    for number, row in enumerate(rows[start + 1 :], start=start + 2):
        cells = list(row) + [None] * (max(code_col, title_col, max_col) + 1 - len(row))
        code, title, maximum = (
            _text(cells[code_col]),
            _text(cells[title_col]),
            _text(cells[max_col]),
        )
        if not (code or title or maximum):
            continue
        lowered = title.lower()
        if lowered.startswith("tổng") and not code:
            total = maximum or None
        elif lowered.startswith(_BONUS):
            mode, bonus["cap"] = "bonus", maximum or "0"
        elif lowered.startswith(_DEDUCTIONS):
            mode = "deductions"
        elif _ROMAN.match(code.upper()) or (code and not maximum and mode == "groups"):
            mode = "groups"
            groups.append({"code": code.upper(), "title": title, "items": []})
        elif mode == "groups" and not groups:
            problems.append(("scale_sheet.item_before_group", {"line": number, "code": code}))
        else:
            item = {"code": code, "title": title, "max": _decimal_text(maximum)}
            target = groups[-1] if mode == "groups" else bonus if mode == "bonus" else deductions
            target["items"].append(item)
    if problems:
        raise FileInvalid(problems, "scale.invalid")
    scale: dict = {"name": name, "groups": groups}
    scale["total"] = (
        total
        if total is not None
        else str(sum((_decimal(i["max"]) for g in groups for i in g["items"]), Decimal(0)))
    )
    if bonus["items"]:
        scale["bonus"] = bonus
    if deductions["items"]:
        scale["deductions"] = deductions
    return yaml.safe_dump({"scale": scale}, allow_unicode=True, sort_keys=False)


def _decimal(text: str) -> Decimal:
    return exact_decimal(text) or Decimal(0)


def _decimal_text(text: str) -> str:
    return text.replace(",", ".")


def is_score_template(rows: list[list[object]]) -> bool:
    return _template_header(rows) is not None


def _template_header(rows: list[list[object]]) -> tuple[int, int, int, int | None] | None:
    """(row index, code column, self-score column, note column) of the form's header row."""
    for index, row in enumerate(rows[:20]):
        cells = [_text(c).lower() for c in row]
        code = next((i for i, c in enumerate(cells) if c in ("mã", "mã số", "mục", "item")), None)
        score = next((i for i, c in enumerate(cells) if "tự chấm" in c or c == "self score"), None)
        if code is not None and score is not None:
            note = next((i for i, c in enumerate(cells) if "ghi chú" in c or "note" in c), None)
            return index, code, score, note
    return None


def scores_from_template_rows(
    scale: Scale, rows: list[list[object]]
) -> tuple[dict, dict[str, str]]:
    """The unit's filled copy of the score template: (scores by code, notes by code). Empty
    score cells are skipped; every bad row is listed at once."""
    header = _template_header(rows)
    if header is None:
        raise FileInvalid([("score_sheet.no_header", {})], "score.bulk_invalid")
    start, code_col, score_col, note_col = header
    scores, notes, problems = {}, {}, []
    for number, row in enumerate(rows[start + 1 :], start=start + 2):
        cells = list(row) + [None] * (max(code_col, score_col, note_col or 0) + 1 - len(row))
        code, value = _text(cells[code_col]), _text(cells[score_col])
        criterion = scale.criterion(code)
        if criterion is None:
            continue  # titles, totals and blank lines of the template
        if note_col is not None and _text(cells[note_col]):
            notes[code] = _text(cells[note_col])
        if not value:
            continue
        try:
            scores[code] = check_score(criterion, parse_score(value))
        except InvalidInput as error:
            problems.append((error.key, {**error.params, "line": number}))
    if problems:
        raise FileInvalid(problems, "score.bulk_invalid")
    if not scores and not notes:
        raise FileInvalid([("score.bulk_empty", {})], "score.bulk_invalid")
    return scores, notes
