"""Probes for load balancers: liveness without I/O, readiness with it."""

import re

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

PROBE_PATH = re.compile(r"^/(healthz|readyz)/?$")


def any_host_for_probes(get_response):
    """Let /healthz and /readyz answer whatever the Host header; other routes keep the check.

    Load balancers and Kubernetes probe an instance by its IP address, which
    is not in ALLOWED_HOSTS. Django has no per-route exemption; like
    django-alive's healthcheck_bypass_host_check, this gives the probes'
    requests the unvalidated host (only the probes: nothing there builds a
    link or a redirect from it). It runs before anything asks for the host.
    """

    def middleware(request):
        if PROBE_PATH.match(request.path_info):
            request.get_host = request._get_raw_host
        return get_response(request)

    return middleware


class HealthSerializer(serializers.Serializer):
    """A probe's answer: overall status and, for readiness, each dependency's."""

    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    checks = serializers.DictField(child=serializers.ChoiceField(choices=["ok", "unavailable"]))


_healthz_schema = extend_schema(
    responses={200: HealthSerializer},
    examples=[OpenApiExample("Up", value={"status": "ok", "checks": {}})],
)
_readyz_schema = extend_schema(
    responses={200: HealthSerializer, 503: HealthSerializer},
    examples=[
        OpenApiExample("Ready", value={"status": "ok", "checks": {"database": "ok"}}),
        OpenApiExample(
            "Database down",
            value={"status": "unavailable", "checks": {"database": "unavailable"}},
            status_codes=[503],
        ),
    ],
)


class _Probe(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []


class HealthzView(_Probe):
    """Answer 200 while the process serves requests; touches nothing else."""

    @_healthz_schema
    def get(self, request):
        return Response({"status": "ok", "checks": {}})


class ReadyzView(_Probe):
    """Answer 200 when the database (and a shared cache, if configured) respond."""

    @_readyz_schema
    def get(self, request):
        checks = {"database": _database_ok()}
        if "locmem" not in settings.CACHES["default"]["BACKEND"]:
            checks["cache"] = _cache_ok()
        ready = all(checks.values())
        body = {
            "status": "ok" if ready else "unavailable",
            "checks": {name: "ok" if ok else "unavailable" for name, ok in checks.items()},
        }
        code = status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE
        return Response(body, status=code)


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def _cache_ok():
    try:
        cache.set("readyz", "1", timeout=5)
        return cache.get("readyz") == "1"
    except Exception:  # any backend's connection error means "not ready"
        return False
