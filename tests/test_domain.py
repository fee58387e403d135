from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.cluster_file import parse_cluster_file
from bot.domain.errors import FileInvalid
from bot.domain.invites import ALPHABET, new_code, normalize_code
from bot.domain.models import Invite, Member, Period, Role

from .conftest import DOMAIN_CLUSTERS

NOW = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)


def _invite(**changes) -> Invite:
    fields = dict(
        id=1,
        code="ABCD2345",
        cluster_id=1,
        unit_id=2,
        role=Role.UNIT_REP,
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
        revoked_at=None,
    )
    return Invite(**(fields | changes))


def _member(**changes) -> Member:
    fields = dict(
        id=1,
        cluster_id=1,
        channel="console",
        external_id="x",
        display_name="X",
        unit_id=5,
        roles=frozenset({Role.UNIT_REP}),
    )
    return Member(**(fields | changes))


def test_new_invite_codes_use_only_unambiguous_characters():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("01OIL") & set(ALPHABET)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("  abcd2345 ", "ABCD2345"),
        ("demo-agg", "DEMO-AGG"),
        ("ab", None),
        ("mã mời", None),
        ("A" * 65, None),
        ("", None),
    ],
)
def test_invite_code_is_normalized_or_refused(typed, expected):
    assert normalize_code(typed) == expected


def test_invite_is_usable_until_it_expires():
    invite = _invite()
    assert invite.problem_at(NOW + timedelta(days=29)) is None
    assert invite.problem_at(NOW + timedelta(days=30)) == "invite.expired"


def test_revoked_invite_is_unusable_even_before_expiry():
    assert _invite(revoked_at=NOW).problem_at(NOW) == "invite.revoked"


def test_invite_without_expiry_never_expires():
    assert _invite(expires_at=None).problem_at(NOW + timedelta(days=3650)) is None


def test_representative_of_the_chair_unit_is_chair():
    period = Period(id=1, cluster_id=1, name="2024", chair_unit_id=5, vice_chair_unit_id=6)
    assert _member().effective_roles(period) == {Role.UNIT_REP, Role.CHAIR}
    assert _member(unit_id=6).effective_roles(period) == {Role.UNIT_REP, Role.VICE_CHAIR}
    assert _member(unit_id=7).effective_roles(period) == {Role.UNIT_REP}


def test_chair_role_follows_the_new_period():
    next_year = Period(id=2, cluster_id=1, name="2025", chair_unit_id=7)
    assert Role.CHAIR not in _member().effective_roles(next_year)


def test_observer_never_becomes_chair_through_a_unit():
    period = Period(id=1, cluster_id=1, name="2024", chair_unit_id=5)
    observer = _member(roles=frozenset({Role.OBSERVER}))
    assert observer.effective_roles(period) == {Role.OBSERVER}


def test_bundled_cluster_file_parses():
    specs = parse_cluster_file(DOMAIN_CLUSTERS.read_text(encoding="utf-8"))
    assert [s.key for s in specs][:2] == ["mekong-health-2024", "hanoi-block-9-2024"]
    mekong = specs[0]
    assert len(mekong.units) == 13 and mekong.chair == "CTO" and mekong.period == "2024"
    assert specs[3].vice_chair == "LKH"
    assert "Cờ thi đua của Chính phủ" in specs[2].awards
    # An unquoted comma in a flow mapping no longer cuts the name short.
    assert specs[2].units[2].name == "Sở Lao động, Thương binh và Xã hội"


def test_cluster_file_lists_every_problem_at_once():
    text = """
clusters:
  - key: Bad Key
    name: Cụm A
    period: 2024
    chair: ZZZ
    units:
      - {code: A1, name: Đơn vị 1}
      - {code: a1, name: Đơn vị trùng}
      - {code: "B 2", name: Sai mã}
      - {name: Thiếu mã}
  - key: cum-b
    units: []
"""
    with pytest.raises(FileInvalid) as caught:
        parse_cluster_file(text)
    keys = [key for key, _ in caught.value.problems]
    assert keys == [
        "cluster_file.bad_key",
        "cluster_file.duplicate_unit",
        "cluster_file.bad_unit_code",
        "cluster_file.bad_unit",
        "cluster_file.unknown_unit",
        "cluster_file.missing_field",
        "cluster_file.missing_field",
        "cluster_file.no_units",
    ]


@pytest.mark.parametrize(
    "text, key",
    [
        ("clusters: [", "cluster_file.not_yaml"),
        ("just text", "cluster_file.no_clusters"),
        ("clusters: []", "cluster_file.no_clusters"),
        ("clusters: [42]", "cluster_file.not_a_mapping"),
    ],
)
def test_cluster_file_that_is_not_a_cluster_list_is_refused(text, key):
    with pytest.raises(FileInvalid) as caught:
        parse_cluster_file(text)
    assert caught.value.problems[0][0] == key
