"""Fuzz every operation of the served OpenAPI document against the live WSGI app.

Schemathesis generates requests from the schema (valid ones, and invalid
ones that break it), sends them in-process with an admin's and a user's
token and with none, and checks that no answer is a 5xx and that every answer (status
code, content type, headers, body) is one the document declares.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tests.factories import AdminFactory, UserFactory, token_pair

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Bounded: the whole module stays well under a few minutes on two cores.
EXAMPLES_PER_MODE = 12

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    """Django's WSGI app, keeping the test's database connection open between requests.

    As Django's test client does: at the start and end of each request Django
    closes the connection, which would end the test's transaction.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield WSGIHandler()
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_schema(app, db):
    return schemathesis.openapi.from_wsgi("/api/schema?format=json", app)


def _operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


def _bearer(user):
    return {"Authorization": f"Bearer {token_pair(user)['access_token']}"}


def _admin_token():
    return _bearer(AdminFactory())


def _user_token():
    return _bearer(UserFactory())


def _fuzz(operation, mode, headers, app, path_parameters=None):
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(app=app, headers=headers(), checks=CHECKS)

    run()


def test_schema_lists_every_operation(api_schema):
    operations = {(op.method.upper(), op.path) for op in _operations(api_schema)}

    assert {
        ("POST", "/user/register"),
        ("POST", "/user/login"),
        ("POST", "/user/token/refresh"),
        ("POST", "/user/logout"),
        ("GET", "/user/profile"),
        ("PUT", "/user/profile"),
        ("PATCH", "/user/profile"),
        ("POST", "/user/change-password"),
    } <= operations


@pytest.mark.parametrize("role", ["admin", "user", "anonymous"])
@pytest.mark.parametrize(
    "mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
)
def test_every_operation_conforms_to_the_schema(api_schema, app, role, mode):
    failures = []
    for operation in _operations(api_schema):
        # Random ids mostly miss: also aim at an account that exists.
        targets = [None, {"id": UserFactory().pk}] if "{id}" in operation.path else [None]
        for path_parameters in targets:
            # A fresh caller each time: one that deleted, demoted or
            # deactivated the last one's account does not blunt the next.
            token = {"admin": _admin_token, "user": _user_token, "anonymous": dict}[role]()
            try:
                _fuzz(operation, mode, lambda token=token: dict(token), app, path_parameters)
            except Unsatisfiable:
                # Nothing in the request can be made invalid (no body, fixed path).
                assert mode == schemathesis.GenerationMode.NEGATIVE
            except (Exception, BaseExceptionGroup) as exc:  # report every failure
                label = f"{operation.method.upper()} {operation.path} {path_parameters or ''}"
                failures.append(f"{label}: {exc}")
    assert not failures, "\n\n".join(failures)
