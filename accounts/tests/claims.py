"""Tokens signed with the real key but holding claims the service never writes."""

import secrets


def digits_as(pk, zero):
    """The id written with another script's digits (zero: that script's digit zero)."""
    return "".join(chr(ord(zero) + int(digit)) for digit in str(pk))


def odd_user_ids(pk):
    """User id claims that name no account, or name `pk` in a form never issued."""
    return {
        "int": pk,
        "float": float(pk),
        "float string": f"{pk}.0",
        "list": [str(pk)],
        "object": {"id": str(pk)},
        "bool": True,
        "null": None,
        "empty": "",
        "leading zero": f"0{pk}",
        "plus sign": f"+{pk}",
        "spaces": f" {pk} ",
        "newline": f"{pk}\n",
        "arabic-indic digits": digits_as(pk, "\u0660"),
        "full-width digits": digits_as(pk, "\uff10"),
        "huge number": 10**30,
        "huge string": "9" * 30,
        "just above bigint": str(2**63),
        "negative": f"-{pk}",
        "exponent": f"{pk}e0",
    }


ODD_TIMES = {
    "string": "tomorrow",
    "numeric string": "99999999999",
    "list": [1],
    "null": None,
    "huge number": 10**30,
    "huge float": 1e300,
    "infinity": float("inf"),
    "nan": float("nan"),
}

ODD_IDS = {
    "int": 12345,
    "list": ["x"],
    "null": None,
    "too short": "abc",
    "too long": "a" * 200,
    "path": "../" * 8,
}


def resigned(token_class, raw, **claims):
    """The token re-signed with some claims replaced (a value of ... drops the claim)."""
    token = token_class(raw)
    for claim, value in claims.items():
        if value is ...:
            del token.payload[claim]
        else:
            token.payload[claim] = value
    return str(token)


def unknown_session_id():
    return secrets.token_urlsafe(16)
