"""The upload page a Zalo secretariat opens from /upload: one small form, readable on a phone."""

from __future__ import annotations

from html import escape

from bot.i18n import t

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; padding: 1.5rem; max-width: 36rem;
       line-height: 1.5; color: #1c2733; }
h1 { font-size: 1.3rem; margin: 0 0 1rem; }
form { display: grid; gap: 1rem; margin-top: 1rem; }
input[type=file] { font-size: 1rem; }
button { font-size: 1.05rem; padding: .7rem 1rem; border: 0; border-radius: .4rem;
         background: #0068ff; color: #fff; }
.note { padding: .8rem 1rem; border-radius: .4rem; background: #f1f4f8; }
.bad { background: #fdecec; }
pre { white-space: pre-wrap; font: inherit; margin: 0; }
"""


def _page(locale: str, body: str) -> str:
    title = escape(t(locale, "upload.page_title"))
    return (
        f'<!doctype html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{title}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


def form(locale: str, problem: str | None = None) -> str:
    """The form; `problem`: an i18n key saying what was wrong with the last try."""
    note = f'<p class="note bad">{escape(t(locale, problem))}</p>' if problem else ""
    return _page(
        locale,
        f"{note}<p>{escape(t(locale, 'upload.page_intro'))}</p>"
        '<form method="post" enctype="multipart/form-data">'
        '<input type="file" name="file" accept=".yaml,.yml,.xlsx" required>'
        f'<button type="submit">{escape(t(locale, "upload.page_button"))}</button></form>',
    )


def gone(locale: str) -> str:
    return _page(locale, f'<p class="note bad">{escape(t(locale, "upload.page_gone"))}</p>')


def done(locale: str, file_name: str, answers: list[str]) -> str:
    said = "".join(f'<div class="note"><pre>{escape(a)}</pre></div>' for a in answers)
    head = escape(t(locale, "upload.page_done", name=file_name))
    return _page(locale, f"<p>{head}</p>{said}")
