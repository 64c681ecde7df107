"""Fixtures of the admin route tests."""

import pytest

from accounts.tests.factories import AdminFactory, SuperuserFactory, UserFactory

FACTORIES = {"user": UserFactory, "admin": AdminFactory, "superuser": SuperuserFactory}


@pytest.fixture
def world(client_for):
    """Build an actor of a kind and one target of each kind, the actor among them."""

    def build(actor_kind, target_kind):
        actor = FACTORIES[actor_kind]()
        others = {kind: factory() for kind, factory in FACTORIES.items()}
        target = actor if target_kind == "self" else others[target_kind]
        return client_for(actor), actor, target

    return build
