# thidua: one bot process. SQLite in /data by default; set THIDUA_DATABASE_URL for PostgreSQL
# (and then run as many of these as you like: compose.yaml runs two).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    THIDUA_DATABASE_PATH=/data/thidua.sqlite3 \
    THIDUA_WEBHOOK_LISTEN=0.0.0.0 THIDUA_WEBHOOK_PORT=8080

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY scheduler ./scheduler
COPY storage ./storage
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin thidua \
    && mkdir -p /data && chown thidua /data

USER thidua
VOLUME ["/data"]
EXPOSE 8080
# /healthz answers 503 when the database does not answer, no process runs the scheduler, or
# queued messages fall behind.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]
CMD ["python", "-m", "bot", "run"]
