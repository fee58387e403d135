"""The score sheet as a Telegram Mini App: the page a web-app button opens, and the requests it
makes. Every request carries Telegram's signed launch data (initData), checked each time
(bot/domain/webapp.py); the person is then the member of that Telegram account, and the same
scoring services and authorization as in the chat apply: one's own unit only, editable sheets
only, every value checked before it is saved."""

from __future__ import annotations

from bot.app import App
from bot.domain.errors import DomainError, Forbidden
from bot.domain.webapp import telegram_user_id
from bot.i18n import t
from bot.messages import Attachment
from bot.render import sheet_page as render
from bot.services.scoring import MAX_EVIDENCE_MB
from bot.services.scoring_views import SHEET_ROUTE as ROUTE
from bot.services.scoring_views import SHEETS_ROUTE

HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def sheet_routes(app: App) -> list:
    from starlette.datastructures import UploadFile
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    services = app.services
    settings = services.settings
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else None

    async def caller(request: Request):
        """The member who opened the page (Telegram's signed launch, or a link of their own),
        or Forbidden."""
        link = request.headers.get("x-sheet-link", "")
        if link:
            holder = await services.page_links.holder(link, "sheet")
            if holder is None:
                raise Forbidden("webapp.link_gone")
            channel, user = holder
        else:
            if token is None:
                raise Forbidden("webapp.not_signed")
            init_data = request.headers.get("x-init-data", "")
            channel, user = "telegram", telegram_user_id(init_data, token, services.clock.now())
        member = await services.membership.identify(channel, user)
        if member is None:
            raise Forbidden("webapp.not_member")
        return member

    def refused(error: DomainError, locale: str) -> Response:
        body = f'<p class="notice">{t(locale, error.key, **error.params)}</p>'
        return HTMLResponse(body, status_code=403, headers=HEADERS)

    def locale_of(member) -> str:
        return member.member.locale or settings.default_locale

    async def shell(request: Request) -> Response:
        return HTMLResponse(render.shell(settings.default_locale, ROUTE), headers=HEADERS)

    async def form(request: Request) -> Response:
        try:
            member = await caller(request)
            view = await services.scoring.sheet(member)
        except Forbidden as error:
            return refused(error, settings.default_locale)
        except DomainError as error:  # no scale yet, no unit: said plainly
            locale = settings.default_locale
            return HTMLResponse(f'<p class="notice">{t(locale, error.key, **error.params)}</p>')
        unit = member.unit
        return HTMLResponse(render.form(locale_of(member), view, unit), headers=HEADERS)

    async def save(request: Request) -> Response:
        try:
            member = await caller(request)
        except Forbidden as error:
            return JSONResponse({"error": t(settings.default_locale, error.key)}, 403)
        body = await _json(request)
        code, value = str(body.get("code", ""))[:16], str(body.get("value", "")).strip()[:16]
        locale = locale_of(member)
        try:
            view = await services.scoring.sheet(member)
            if not value:
                return JSONResponse({"saved": "", "totals_html": render.totals(locale, view)})
            if view.scale.criterion(code) is None:
                return JSONResponse({"error": t(locale, "error.stale_button")}, 400)
            view = await services.scoring.set_scores(member, {code: value})
        except DomainError as error:  # a bad number changes nothing and says why
            return JSONResponse({"error": t(locale, error.key, **error.params)})
        saved = t(locale, "sheet_page.saved")
        return JSONResponse({"saved": saved, "totals_html": render.totals(locale, view)})

    async def note(request: Request) -> Response:
        try:
            member = await caller(request)
        except Forbidden as error:
            return JSONResponse({"error": t(settings.default_locale, error.key)}, 403)
        body = await _json(request)
        locale = locale_of(member)
        try:
            text = str(body.get("note", ""))[:500]
            view = await services.scoring.annotate(
                member, str(body.get("code", ""))[:16], note=text
            )
        except DomainError as error:
            return JSONResponse({"error": t(locale, error.key, **error.params)})
        saved = t(locale, "sheet_page.saved")
        return JSONResponse({"saved": saved, "totals_html": render.totals(locale, view)})

    async def evidence(request: Request) -> Response:
        """One file as an item's evidence (minh chứng), as when it is sent on the item's card."""
        try:
            member = await caller(request)
        except Forbidden as error:
            return JSONResponse({"error": t(settings.default_locale, error.key)}, 403)
        locale = locale_of(member)
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_EVIDENCE_MB * 1024 * 1024 + 16 * 1024:
            limit = MAX_EVIDENCE_MB * 1024
            return JSONResponse({"error": t(locale, "import.too_large", limit=limit)}, 413)
        async with request.form(max_files=1, max_fields=2) as form:
            code, sent = str(form.get("code", ""))[:16], form.get("file")
            if not isinstance(sent, UploadFile) or not sent.filename:
                return JSONResponse({"error": t(locale, "upload.page_no_file")}, 400)
            name = sent.filename.rsplit("/", 1)[-1][:120]
            data = await sent.read(MAX_EVIDENCE_MB * 1024 * 1024 + 1)
            mime = sent.content_type
        try:
            view = await services.scoring.annotate(
                member, code, evidence=Attachment(name, data, mime)
            )
        except DomainError as error:
            return JSONResponse({"error": t(locale, error.key, **error.params)})
        saved = t(locale, "sheet_page.saved")
        return JSONResponse(
            {"saved": saved, "file": name, "totals_html": render.totals(locale, view)}
        )

    async def submit(request: Request) -> Response:
        try:
            member = await caller(request)
        except Forbidden as error:
            return refused(error, settings.default_locale)
        locale = locale_of(member)
        try:
            view = await services.scoring.submit(member)
            return HTMLResponse(render.form(locale, view, member.unit), headers=HEADERS)
        except DomainError as error:  # incomplete or already submitted: the form says why
            view = await services.scoring.sheet(member)
            message = t(locale, error.key, **error.params)
            return HTMLResponse(render.form(locale, view, member.unit, message), headers=HEADERS)

    async def sheets(request: Request) -> Response:
        """Every unit's sheet side by side, for whoever was given the link and may still see
        the sheets (checked now, not when the link was made)."""
        locale = settings.default_locale
        holder = await services.page_links.holder(request.path_params["token"], "sheets")
        member = await services.membership.identify(*holder) if holder else None
        if member is None:
            return HTMLResponse(
                f'<p class="notice">{t(locale, "webapp.link_gone")}</p>', 410, headers=HEADERS
            )
        locale = locale_of(member)
        try:
            export = await services.scoring.side_by_side(member)
        except Forbidden as error:
            return refused(error, locale)
        except DomainError as error:
            return HTMLResponse(f'<p class="notice">{t(locale, error.key, **error.params)}</p>')
        body = render.side_by_side(locale, member.cluster.name, export)
        return HTMLResponse(body, headers=HEADERS)

    return [
        Route(SHEETS_ROUTE + "/{token}", sheets, methods=["GET"]),
        Route(ROUTE, shell, methods=["GET"]),
        Route(ROUTE + "/form", form, methods=["POST"]),
        Route(ROUTE + "/save", save, methods=["POST"]),
        Route(ROUTE + "/note", note, methods=["POST"]),
        Route(ROUTE + "/evidence", evidence, methods=["POST"]),
        Route(ROUTE + "/submit", submit, methods=["POST"]),
    ]


async def _json(request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
