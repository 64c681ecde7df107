import pytest
from django.contrib.auth import hashers
from django.contrib.auth.hashers import check_password, get_hasher, make_password


@pytest.fixture
def production_hashers(settings):
    """This hasher first, as in project.settings, not the fast test hasher of conftest.py."""
    settings.PASSWORD_HASHERS = ["accounts.hashers.Argon2PasswordHasher"]


@pytest.mark.usefixtures("production_hashers")
def test_production_hasher_is_argon2id():
    encoded = make_password("Correct-Horse-42")

    assert get_hasher().algorithm == "argon2"
    assert encoded.startswith("argon2$argon2id$")


@pytest.mark.usefixtures("production_hashers")
def test_one_lane_with_djangos_memory_and_passes():
    params = get_hasher().decode(make_password("Correct-Horse-42"))["params"]

    assert (params.parallelism, params.memory_cost, params.time_cost) == (1, 102400, 2)


@pytest.mark.usefixtures("production_hashers")
def test_hash_with_djangos_eight_lanes_verifies_and_is_upgraded():
    old = hashers.Argon2PasswordHasher().encode("Correct-Horse-42", "saltsaltsalt")
    upgraded = []

    assert check_password("Correct-Horse-42", old, setter=upgraded.append)
    assert upgraded == ["Correct-Horse-42"]
