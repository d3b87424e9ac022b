"""The OpenAPI document is valid 3.1, and a bounded schemathesis fuzz of the real falcon app
(on SQLite and PostgreSQL) finds no 5xx and no answer that breaks the document."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import falcon.testing
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kefu.bootstrap import Services, build_services
from kefu.http.app import create_app
from kefu.settings import Settings
from tests.http.conftest import TOKENS

TOKEN = "fuzz-token"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# About 100 operations x 3 examples: a few hundred requests per backend, in a minute or two.
EXAMPLES_PER_OPERATION = 3

App = falcon.App[falcon.Request, falcon.Response]


@pytest.fixture
def fuzzed_services(database_url: str) -> Iterator[Services]:
    built = build_services(
        Settings(
            database_url=database_url, api_tokens=f"{TOKEN}:fuzzer:admin", read_wait_seconds=0.1
        )
    )
    yield built
    built.close()


def document(app: App) -> dict[str, Any]:
    result = falcon.testing.TestClient(app).simulate_get("/openapi.json")
    assert result.status_code == 200
    doc: dict[str, Any] = result.json
    return doc


def fuzz(
    app: App, doc: dict[str, Any], examples: int, token: str = TOKEN
) -> tuple[Counter[int], dict[str, str]]:
    """Runs each operation `examples` times; the status codes seen, and each failing operation's
    first failure."""
    schema = schemathesis.openapi.from_dict(doc)
    schema.app = app
    exchanges: list[tuple[Any, Any]] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        # Derandomized: the same requests on every run, so a failure reproduces.
        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            exchanges.append((case, case.call(headers={"Authorization": f"Bearer {token}"})))

        call()
    # Checked outside hypothesis, which would stop at (and shrink) the first failure.
    statuses = Counter(response.status_code for _, response in exchanges)
    failures: dict[str, str] = {}
    for case, response in exchanges:
        try:
            case.validate_response(response, checks=_checks(case.operation.label))
        except FailureGroup as e:  # every check failure, reported per operation
            failures.setdefault(case.operation.label, f"{type(e).__name__}: {e}"[:2000])
    return statuses, failures


def _checks(label: str) -> list[Any]:
    # /ready answers 503 by design while no runner is up (none is, here): a documented answer.
    return CHECKS[1:] if label == "GET /ready" else CHECKS


def test_the_document_is_valid_openapi_3_1(client: falcon.testing.TestClient) -> None:
    doc = client.simulate_get("/openapi.json").json
    errors = [e.message for e in OpenAPIV31SpecValidator(doc).iter_errors()]
    assert not errors, "\n".join(errors[:20])


def test_every_operation_declares_its_parameters_headers_and_problems(
    client: falcon.testing.TestClient,
) -> None:
    doc = client.simulate_get("/openapi.json").json
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation["parameters"]}
            in_path = {part[1:-1] for part in path.split("/") if part.startswith("{")}
            assert in_path <= names, (method, path)
            assert {"X-Request-ID", "X-Correlation-ID"} <= names, (method, path)
            problem = operation["responses"]["400"]["content"]["application/problem+json"]
            assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
            if method == "post":
                assert "Idempotency-Key" in names, (method, path)
                assert "422" in operation["responses"], (method, path)
            if "requestBody" in operation:
                assert operation["requestBody"]["required"] is True


def test_lists_declare_their_filters_and_paging(client: falcon.testing.TestClient) -> None:
    tickets = client.simulate_get("/openapi.json").json["paths"]["/tickets"]["get"]
    names = {p["name"] for p in tickets["parameters"] if p["in"] == "query"}
    assert {"status", "limit", "cursor", "sort"} <= names


def test_a_bounded_fuzz_finds_no_server_error_and_no_answer_outside_the_document(
    fuzzed_services: Services,
) -> None:
    app = create_app(fuzzed_services)
    statuses, failures = fuzz(app, document(app), EXAMPLES_PER_OPERATION)
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
    assert sum(statuses.values()) >= 200
    assert any(200 <= s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses)


def test_the_fuzz_fails_on_an_answer_the_document_does_not_allow(
    client: falcon.testing.TestClient,
) -> None:
    app = client.app
    doc = document(app)
    reading = doc["paths"]["/tickets/{ticket_id}"]["get"]
    for status in ("404", "4XX"):
        del reading["responses"][status]
    doc["paths"] = {"/tickets/{ticket_id}": {"get": reading}}
    _, failures = fuzz(app, doc, 3, TOKENS["admin"])  # no ticket exists: every read is a 404
    assert "GET /tickets/{ticket_id}" in failures
