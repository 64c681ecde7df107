import factory

from accounts import sessions
from accounts.clients import Client
from accounts.models import Role, User

PASSWORD = "Correct-Horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    # Fixed names, not Faker's: a random last name such as "Passmore" made the
    # password validators' similarity check fail tests by chance.
    first_name = factory.Iterator(["Ada", "Grace", "Alan", "Barbara"])
    last_name = factory.Iterator(["Lovelace", "Hopper", "Turing", "Liskov"])
    role = Role.USER

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    role = Role.ADMIN


class SuperuserFactory(AdminFactory):
    username = factory.Sequence(lambda n: f"owner{n}")
    is_superuser = True


def token_pair(user, client=None):
    """Log the user in as the login service does: a new session and its token pair."""
    return sessions.start(user=user, client=client or Client())


def pairs_among_sessions(user, counts=(1, 10)):
    """Yield a new token pair of the user once they hold each count of sessions, it included.

    For the query counts that must not grow with the number of sessions.
    """
    for count in counts:
        for _ in range(count - 1):
            token_pair(user)
        yield token_pair(user)


def event_record(event):
    """What a security event records, for comparing with the expected tuple in one assert."""
    return (
        event.type,
        event.user_id,
        event.actor_id,
        event.session_id,
        event.ip_address,
        event.user_agent,
    )
