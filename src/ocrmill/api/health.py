"""/healthz, /readyz and /metrics: for load balancers, orchestrators and Prometheus. No authentication (but the
optional metrics_token), and nothing secret in the answers."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from ocrmill.api.openapi import raises
from ocrmill.errors import Unauthorized
from ocrmill.service.operations.monitoring import Readiness

router = APIRouter()


class MetricsTokenRequired(Unauthorized):
    """/metrics requires `Authorization: Bearer <metrics_token>`."""

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="metrics"'}


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers (liveness): nothing else is checked."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "A check failed; the body names it"}})
def readyz(request: Request) -> JSONResponse:
    """Ready for work: the database answers, the data folder is writable and a worker heartbeated recently."""
    readiness: Readiness = request.app.state.readiness
    checks = readiness.checks()
    failed = [c.name for c in checks if not c.ok]
    body: dict[str, Any] = {
        "status": "unready" if failed else "ready",
        "failed": failed,
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    return JSONResponse(body, status_code=503 if failed else 200, headers={"Cache-Control": "no-store"})


@router.get("/metrics", response_class=Response, responses=raises(MetricsTokenRequired))
def metrics(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus text format."""
    token: str = request.app.state.settings.metrics_token
    if token:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), token.encode()):
            raise MetricsTokenRequired()
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
