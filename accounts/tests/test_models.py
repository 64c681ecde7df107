import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Count, Sum
from django.utils.timezone import now

from accounts.models import Role, User, UserTally
from accounts.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_new_user_has_user_role_and_is_active():
    user = User.objects.create_user("alice", "alice@example.com", "x")

    assert (user.role, user.is_active, user.is_superuser) == (Role.USER, True, False)


def test_create_superuser_is_admin():
    user = User.objects.create_superuser("root", "root@example.com", "x")

    assert (user.role, user.is_superuser, user.is_staff) == (Role.ADMIN, True, True)


@pytest.mark.parametrize(("role", "staff"), [(Role.ADMIN, True), (Role.USER, False)])
def test_is_staff_follows_role(role, staff):
    assert UserFactory.build(role=role).is_staff is staff


def test_database_refuses_username_differing_only_in_case():
    UserFactory(username="alice")

    with pytest.raises(IntegrityError):
        User.objects.create(username="ALICE", email="other@example.com")


def test_database_refuses_email_differing_only_in_case():
    UserFactory(email="alice@example.com")

    with pytest.raises(IntegrityError):
        User.objects.create(username="other", email="ALICE@example.COM")


def test_database_refuses_unknown_role():
    with pytest.raises(IntegrityError):
        User.objects.create(username="x", email="x@example.com", role="ROOT")


def test_database_refuses_superuser_without_admin_role():
    with pytest.raises(IntegrityError):
        User.objects.create(username="x", email="x@example.com", is_superuser=True)


def test_natural_key_lookup_is_case_insensitive_and_nfkc():
    user = UserFactory(username="admin")

    assert User.objects.get_by_natural_key("ＡＤＭＩＮ") == user


def test_timestamps_are_set_on_create_and_update():
    user = UserFactory()
    created, updated = user.created_at, user.updated_at

    user.first_name = "Changed"
    user.save()

    assert user.created_at == created
    assert user.updated_at > updated


# --- UserTally ----------------------------------------------------------------------


def _tallies():
    rows = UserTally.objects.values_list("role", "is_active").annotate(n=Sum("users"))
    return {(role, active): n for role, active, n in rows if n}


def _grouped_counts():
    rows = User.objects.values_list("role", "is_active").annotate(n=Count("id"))
    return {(role, active): n for role, active, n in rows}


def _raw_insert(n):
    with connection.cursor() as cursor:
        for i in range(n):
            cursor.execute(
                "INSERT INTO accounts_user (password, is_superuser, username, first_name,"
                " last_name, is_active, email, role, created_at, updated_at)"
                " VALUES ('!', %s, %s, '', '', %s, %s, %s, %s, %s)",
                [False, f"raw{i}", i % 2 == 0, f"raw{i}@example.com", Role.USER, now(), now()],
            )


def _raw_delete():
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_user WHERE role = %s", [Role.ADMIN])


WRITES = {
    "create": lambda users: UserFactory(is_active=False),
    "bulk_create": lambda users: User.objects.bulk_create(
        [User(username=f"bulk{i}", email=f"bulk{i}@example.com") for i in range(3)]
    ),
    "raw insert": lambda users: _raw_insert(3),
    "save with a new role": lambda users: _with(users[0], role=Role.ADMIN).save(),
    "save with a new active flag": lambda users: _with(users[1], is_active=False).save(),
    "save of other fields": lambda users: _with(users[2], first_name="Renamed").save(),
    "queryset update": lambda users: User.objects.filter(role=Role.USER).update(is_active=False),
    "queryset update of other fields": lambda users: User.objects.update(last_login=now()),
    "delete": lambda users: users[3].delete(),
    "queryset delete": lambda users: User.objects.filter(is_active=True).delete(),
    "raw delete": lambda users: _raw_delete(),
}


def _with(user, **values):
    for name, value in values.items():
        setattr(user, name, value)
    return user


@pytest.fixture
def users():
    return [
        *UserFactory.create_batch(4),
        UserFactory(is_active=False),
        AdminFactory(),
        AdminFactory(is_active=False),
    ]


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_tallies_follow_every_kind_of_write(users, write):
    write(users)

    assert _tallies() == _grouped_counts()


def test_rolled_back_write_leaves_tallies_as_they_were(users):
    before = _tallies()

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(role=Role.USER).update(is_active=False)
        UserFactory(username=users[0].username.upper())

    assert _tallies() == before


@pytest.mark.usefixtures("on_postgres")
def test_truncate_empties_the_tallies(users):
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_user CASCADE")

    assert _tallies() == {} == _grouped_counts()


@pytest.mark.usefixtures("on_postgres")
@pytest.mark.django_db(transaction=True)
def test_tallies_stay_exact_under_concurrent_writers():
    """Writers in parallel transactions, each touching several tally rows: the
    triggers' upserts serialize on the rows they change, and nothing is lost."""
    errors = []

    def writer(n):
        try:
            for i in range(15):
                with transaction.atomic():
                    user = UserFactory(username=f"w{n}x{i}", is_active=i % 2 == 0)
                    User.objects.filter(pk=user.pk).update(
                        is_active=not user.is_active, role=Role.ADMIN if i % 3 else Role.USER
                    )
                    if i % 4 == 0:
                        user.delete()
        except Exception as exc:  # reported below, with the test's failure
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert _tallies() == _grouped_counts()
    assert sum(_tallies().values()) == 6 * 11


@pytest.mark.usefixtures("on_postgres")
def test_tally_rows_are_folded_as_they_accumulate():
    for _ in range(200):
        UserFactory()  # an INSERT statement each: a tally row each

    assert UserTally.objects.count() <= 64 + len(Role.values) * 2
    assert _tallies() == _grouped_counts()
