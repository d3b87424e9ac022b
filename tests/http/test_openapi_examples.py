"""Request-body examples in /openapi.json: made from the command Structs, each one a body that
decodes into its command; only commands whose rules tie fields together go without."""

from __future__ import annotations

from typing import Annotated

import falcon.testing
import msgspec

from kefu.http.body_examples import body_example
from kefu.http.routes import ApiApp

# Their rules join fields (exactly one of two, one of three, a channel checked after decoding,
# at least one of two lists): a schema alone does not make a valid body.
WITHOUT_EXAMPLE = {
    ("/calls/{call_id}/transfer", "post"),
    ("/calls/{call_id}/link", "post"),
    ("/notifications/preview", "post"),
    ("/webhooks", "post"),
    ("/webhooks/{subscription_id}/change", "post"),
}


def test_every_command_body_has_an_example_that_decodes_into_its_struct(
    client: falcon.testing.TestClient,
) -> None:
    app = client.app
    assert isinstance(app, ApiApp)
    doc = client.simulate_get("/openapi.json").json
    missing = set()
    for path, operations in app.operations.items():
        for method, operation in operations.items():
            if operation.body is None:
                continue
            content = doc["paths"][path][method]["requestBody"]["content"]["application/json"]
            if "example" not in content:
                missing.add((path, method))
                continue
            msgspec.json.decode(msgspec.json.encode(content["example"]), type=operation.body)
    assert missing == WITHOUT_EXAMPLE


class Refund(msgspec.Struct, forbid_unknown_fields=True):
    amount: Annotated[int, msgspec.Meta(ge=5)]
    reason: Annotated[str, msgspec.Meta(min_length=6)]
    note: str = ""


def test_an_example_names_the_required_fields_with_values_of_their_kind() -> None:
    _, components = msgspec.json.schema_components([Refund])
    assert body_example(Refund, components) == {"amount": 5, "reason": "textxx"}
