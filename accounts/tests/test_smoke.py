def test_register_answers_201(api_client, db):
    response = api_client.post(
        "/user/register",
        {
            "username": "alice",
            "email": "alice@example.com",
            "password": "Correct-Horse-42",
        },
    )
    assert response.status_code == 201
