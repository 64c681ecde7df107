from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password


def test_production_hasher_is_argon2(settings):
    """The real settings (not the fast test hasher) hash with argon2 first."""
    from project import settings as project_settings

    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS

    encoded = make_password("Correct-Horse-42")

    assert get_hasher().algorithm == "argon2"
    assert identify_hasher(encoded).algorithm == "argon2"
    assert encoded.startswith("argon2$argon2id$")
