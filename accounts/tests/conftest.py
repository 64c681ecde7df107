"""Fixtures of the admin tests: an actor of a kind and a target of a kind (test_policies)."""

import pytest
from django.test import Client

from accounts.tests.factories import AdminFactory, SuperuserFactory, UserFactory

FACTORIES = {"user": UserFactory, "admin": AdminFactory, "superuser": SuperuserFactory}


def _actor_and_target(actor_kind, target_kind):
    actor = FACTORIES[actor_kind]()
    others = {kind: factory() for kind, factory in FACTORIES.items()}
    return actor, actor if target_kind == "self" else others[target_kind]


@pytest.fixture
def world(client_for):
    """Build an API client for an actor kind, the actor, and a target of a kind."""

    def build(actor_kind, target_kind):
        actor, target = _actor_and_target(actor_kind, target_kind)
        return client_for(actor), actor, target

    return build


@pytest.fixture
def site():
    """Build a logged-in admin-site browser for an actor kind, the actor, and a target."""

    def build(actor_kind, target_kind):
        actor, target = _actor_and_target(actor_kind, target_kind)
        browser = Client()
        browser.force_login(actor)
        return browser, actor, target

    return build
