"""Choices as text (channels without buttons): how they are written and how answers are read."""

from bot.channels.text_menus import Menu, OutOfRange, as_text, menu_of, normalized, pick
from bot.messages import Button, Reply

MENU = Menu("m1", (("◀ Trước", "1:sc:1.1"), ("Tiếp ▶", "1:sc:1.3"), ("Tổng hợp", "1:scsum:0")))


def test_a_number_or_a_label_picks_a_choice():
    assert pick(MENU, "2") == "1:sc:1.3"
    assert pick(MENU, " 3. ") == "1:scsum:0"
    assert pick(MENU, "(1)") == "1:sc:1.1"
    assert pick(MENU, "tong hop") == "1:scsum:0"  # typed without diacritics
    assert pick(MENU, "TIẾP") == "1:sc:1.3"
    assert pick(MENU, "4") == OutOfRange(3)
    assert pick(MENU, "tổng") is None and pick(MENU, "9,5") is None and pick(MENU, "…") is None


def test_when_the_message_awaits_typed_text_a_number_is_that_text():
    menu = Menu("m1", MENU.choices, by_label=True)
    assert pick(menu, "2") is None and pick(menu, "8") is None
    assert pick(menu, "Tổng hợp") == "1:scsum:0"


def test_two_choices_with_the_same_label_are_picked_by_number_only():
    menu = Menu("m1", (("☐ AGG", "1:vote:1:1"), ("☑ AGG", "1:vote:1:0")))
    assert pick(menu, "agg") is None and pick(menu, "2") == "1:vote:1:0"


def test_normalized_keeps_letters_and_digits_without_diacritics():
    assert normalized("✔ Xác nhận bỏ phiếu") == "xacnhanbophieu"
    assert normalized("Đồng ý – Được") == "dongyduoc"
    assert normalized("Ưu tiên Ơn") == "uutienon"


def test_choices_are_written_under_the_text_and_links_are_spelled_out():
    reply = Reply(
        "Chọn:",
        buttons=(
            (Button("Có", "1:a"), Button("Không", "1:b")),
            (Button("Mở chat riêng", url="https://t.me/bot"),),
        ),
    )
    assert as_text(reply, "vi") == (
        "Chọn:\n\n🔗 Mở chat riêng: https://t.me/bot\n\n1. Có\n2. Không\n"
        "↩ Trả lời bằng số (1–2) hoặc gõ tên lựa chọn."
    )
    assert menu_of(reply, "42") == Menu("42", (("Có", "1:a"), ("Không", "1:b")))
    typed = Reply("Nhập điểm:", buttons=((Button("Tổng hợp", "1:scsum:0"),),), awaits_text=True)
    assert as_text(typed, "en").endswith(
        "• Tổng hợp\n↩ Type your answer, or type one of the choices above."
    )
    assert as_text(Reply("Không có lựa chọn"), "vi") == "Không có lựa chọn"
    assert menu_of(Reply("x", buttons=((Button("Mở", url="https://x"),),)), "1") is None
