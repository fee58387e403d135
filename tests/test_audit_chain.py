"""The audit hash chain (pure), and the bit masks a ballot's marks travel in."""

import json

from bot.domain.audit_chain import GENESIS, check_chain, entry_hash, papers_digest
from handlers.choices import decode_mask, encode_mask, toggled


def _chain(count: int) -> list[dict]:
    entries, previous = [], GENESIS
    for i in range(1, count + 1):
        entry = {
            "id": i,
            "at": f"2026-12-15T02:0{i}:00+00:00",
            "cluster_id": 1,
            "actor": "console:CTO",
            "action": "ballot.cast",
            "subject": "1",
            "detail": json.dumps({"unit": f"U{i}"}),
        }
        entry["hash"] = previous = entry_hash(previous, entry)
        entries.append(entry)
    return entries


def test_an_intact_chain_checks_out_and_reports_its_head():
    entries = _chain(4)
    check = check_chain(entries)
    assert check.intact and check.entries == 4 and check.head == entries[-1]["hash"]


def test_changing_removing_or_reordering_an_entry_breaks_the_chain():
    changed = _chain(4)
    changed[1]["detail"] = json.dumps({"unit": "VLG"})
    assert check_chain(changed).broken_at == 2
    removed = _chain(4)
    del removed[1]
    assert check_chain(removed).broken_at == 3
    swapped = _chain(4)
    swapped[1], swapped[2] = swapped[2], swapped[1]
    assert check_chain(swapped).broken_at == 3


def test_entries_from_before_the_chain_may_only_come_first():
    legacy = {"id": 0, "hash": None}
    assert check_chain([legacy, *_chain(2)]).intact
    entries = _chain(2)
    entries.insert(1, {"id": 9, "hash": None})
    assert check_chain(entries).broken_at == 9


def test_the_papers_digest_ignores_storage_order_but_not_content():
    receipts, papers = ["AAAA-BBBB", "CCCC-DDDD"], ["[0]", "[1]"]
    digest = papers_digest(receipts, papers)
    assert digest == papers_digest(list(reversed(receipts)), list(reversed(papers)))
    assert digest != papers_digest(receipts, ["[1]", "[1]"])
    assert digest != papers_digest(["AAAA-BBBB", "CCCC-DDDE"], papers)


def test_marks_round_trip_and_forged_masks_are_refused():
    marks = frozenset({0, 3, 12})
    assert decode_mask(encode_mask(marks)) == marks
    assert decode_mask("0") == frozenset()
    assert toggled(marks, 3) == frozenset({0, 12})
    for forged in ("", "xyz", "-1", "F", "1" * 11, "0x1"):
        assert decode_mask(forged) is None
