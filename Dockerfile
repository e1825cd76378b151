# ocrmill's container image: `podman build -t ocrmill .` (or docker); see compose.yaml and the README's "Deploying".
FROM debian:bookworm-slim

ENV DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# The system packages of `make run`, from the same script (Tesseract and its languages, Ghostscript, unpaper, pngquant,
# qpdf, poppler, libgomp1, PostgreSQL's client programs for `ocrmill backup`, Python's venv), and tini as PID 1: it
# hands SIGTERM to the server, which finishes or hands back its jobs (shutdown_grace_seconds), and reaps orphans.
# The postgresql package's own cluster is dropped: the database is another container or machine.
# More recognition languages: `podman build --build-arg LANGS="chi_sim jpn ara" -t ocrmill .`, or LANGS=all.
ARG LANGS=""
COPY scripts/install-system.sh /tmp/install-system.sh
RUN OCRMILL_LANGS="$LANGS" bash /tmp/install-system.sh \
    && apt-get install -y -qq --no-install-recommends tini >/dev/null \
    && (pg_dropcluster 15 main 2>/dev/null || true) \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /tmp/install-system.sh

# The exact versions the tests ran with (requirements.lock, with hashes), then the package alone.
COPY requirements.lock /opt/ocrmill/requirements.lock
RUN python3 -m venv /opt/ocrmill/venv \
    && /opt/ocrmill/venv/bin/pip install -q --require-hashes --no-deps -r /opt/ocrmill/requirements.lock
COPY pyproject.toml README.md /opt/ocrmill/src/
COPY src /opt/ocrmill/src/src
RUN /opt/ocrmill/venv/bin/pip install -q --no-deps /opt/ocrmill/src && rm -rf /opt/ocrmill/src

RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin ocrmill \
    && mkdir -p /data && chown ocrmill:ocrmill /data

# Listening on every address is safe only with authentication on: the first start adds `admin` with the password of
# OCRMILL_ADMIN_PASSWORD, or with a random one printed once to the log. Everything else: OCRMILL_* variables.
ENV PATH=/opt/ocrmill/venv/bin:$PATH \
    OCRMILL_HOST=0.0.0.0 \
    OCRMILL_PORT=8080 \
    OCRMILL_DATA_DIR=/data \
    OCRMILL_AUTH=true

USER ocrmill
WORKDIR /data
VOLUME /data
EXPOSE 8080

# /readyz: the database answers, /data is writable and a worker is alive (503 otherwise).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('OCRMILL_PORT', '8080')}/readyz\", timeout=8)"]

ENTRYPOINT ["/usr/bin/tini", "--", "ocrmill"]
CMD ["serve"]
