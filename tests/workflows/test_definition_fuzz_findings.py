"""Definitions the fuzz and property tests found crashing the validator: each is now a 400."""


def test_an_error_handler_with_a_list_for_its_step_id_is_a_400(api):
    # Found by the validator's property test: it used to crash the cycle check (a 500).
    body = {
        "name": "n",
        "category": "c",
        "steps": [{"id": "a", "type": "WAIT", "config": {"duration": 1}}],
        "errorHandlers": [{"stepId": ["a"], "handlerStepId": "a"}],
    }

    response = api.post("/api/v1/workflows", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["path"].startswith("errorHandlers[0].stepId")
