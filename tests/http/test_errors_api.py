"""Every refusal is an RFC 9457 problem, never a 500, and a refused request writes nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import falcon.testing
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.http.conftest import TOKENS, VALID_TICKET, Headers, Result

Client = falcon.testing.TestClient
OpenTicket = Callable[..., dict[str, Any]]
Act = Callable[..., Result]

JSON = "application/json"
ONE_MIB = 1024 * 1024
PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(result: Result, status: int) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with that status, in the body as in the status line."""
    assert result.status_code == status, result.text
    assert result.headers["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = result.json
    assert set(problem) >= PROBLEM_KEYS, problem
    assert problem["status"] == status
    assert problem["type"].startswith("/problems/")
    assert problem["title"] and problem["detail"]
    return problem


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()


@dataclass(frozen=True)
class Refused:
    """A request the API must refuse; `{ticket}` in the path stands for an existing ticket."""

    status: int
    path: str = "/tickets"
    method: str = "POST"
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    role: str | None = "service"


def _json(body: Any, **headers: str) -> dict[str, Any]:
    """A body sent as application/json: encoded from a value, or raw bytes as they are."""
    data = body if isinstance(body, bytes) else encode(body)
    return {"body": data, "headers": {"Content-Type": JSON, **headers}}


REFUSALS = {
    "malformed JSON is 400": Refused(400, **_json(b'{"channel": ')),
    "a body that is not UTF-8 is 400": Refused(400, **_json(b"\xff\xfe{}")),
    "a lone surrogate escape is 400": Refused(
        400, **_json(b'{"channel":"phone","category":"b","subject":"\\ud800"}')
    ),
    "a text/plain body is 415": Refused(
        415, body=encode(VALID_TICKET), headers={"Content-Type": "text/plain"}
    ),
    "a form-encoded body is 415": Refused(
        415,
        body=b"channel=phone&category=b&subject=s",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    "a body over 1 MiB is 413": Refused(
        413, **_json({**VALID_TICKET, "description": "x" * ONE_MIB})
    ),
    "a JSON array for a command is 422": Refused(422, **_json([VALID_TICKET])),
    "an unknown field is 422": Refused(422, **_json({**VALID_TICKET, "urgent": True})),
    "a missing field is 422": Refused(422, **_json({"channel": "phone", "category": "b"})),
    "a field of the wrong type is 422": Refused(422, **_json({**VALID_TICKET, "subject": 42})),
    "an unknown channel is 422": Refused(422, **_json({**VALID_TICKET, "channel": "fax"})),
    "a blank subject is 422": Refused(422, **_json({**VALID_TICKET, "subject": "   "})),
    "a rating above 5 is 422": Refused(422, "/tickets/{ticket}/rating", **_json({"score": 6})),
    "a stale If-Match is 412": Refused(
        412, "/tickets/{ticket}/dispatch", **_json({"department": "sales"}, **{"If-Match": '"7"'})
    ),
    "a malformed If-Match is 400": Refused(
        400, "/tickets/{ticket}/review", **_json({}, **{"If-Match": "version seven"})
    ),
    "a malformed X-Correlation-ID is 400": Refused(
        400, **_json(VALID_TICKET, **{"X-Correlation-ID": "not-a-uuid"})
    ),
    "a malformed X-Causation-ID is 400": Refused(
        400, "/tickets/{ticket}/review", **_json({}, **{"X-Causation-ID": "12345"})
    ),
    "an Idempotency-Key over 200 characters is 400": Refused(
        400, **_json(VALID_TICKET, **{"Idempotency-Key": "k" * 201})
    ),
    "an action the state forbids is 409": Refused(409, "/tickets/{ticket}/close", **_json({})),
    "an unknown action is 404": Refused(404, "/tickets/{ticket}/teleport", **_json({})),
    "a malformed ticket id is 404": Refused(404, "/tickets/12345/review", **_json({})),
    "an unknown ticket id is 404": Refused(404, f"/tickets/{uuid.uuid4()}/review", **_json({})),
    "an unknown path is 404": Refused(404, "/no-such-records", method="GET"),
    "GET on an action is 405": Refused(405, "/tickets/{ticket}/review", method="GET"),
    "no token is 401": Refused(401, role=None, **_json(VALID_TICKET)),
    "an unknown token is 401": Refused(
        401, role=None, **_json(VALID_TICKET, Authorization="Bearer guessed")
    ),
    "a Basic credential is 401": Refused(
        401, role=None, **_json(VALID_TICKET, Authorization=f"Basic {TOKENS['service']}")
    ),
    "a reporter opening a ticket is 403": Refused(403, role="reporter", **_json(VALID_TICKET)),
    "an auditor opening a ticket is 403": Refused(403, role="auditor", **_json(VALID_TICKET)),
    "an auditor acting on a ticket is 403": Refused(
        403, "/tickets/{ticket}/review", role="auditor", **_json({})
    ),
    "a reporter acting on a ticket is 403": Refused(
        403, "/tickets/{ticket}/review", role="reporter", **_json({})
    ),
    "an auditor reading the view is 403": Refused(403, "/tickets/{ticket}", "GET", role="auditor"),
    "a reporter reading the history is 403": Refused(
        403, "/tickets/{ticket}/history", "GET", role="reporter"
    ),
    "reading an unknown ticket is 404": Refused(404, f"/tickets/{uuid.uuid4()}", "GET"),
    "reading an unknown history is 404": Refused(404, f"/tickets/{uuid.uuid4()}/history", "GET"),
    "a non-numeric ?after is 400": Refused(400, "/tickets/{ticket}?after=soon", "GET"),
    "a negative ?after is 400": Refused(400, "/tickets/{ticket}?after=-1", "GET"),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=list(REFUSALS))
def test_a_refused_request_is_a_problem_and_writes_nothing(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: OpenTicket,
    catch_up: Callable[[], int],
    log_head: Callable[[], int],
    case: Refused,
) -> None:
    ticket_id = open_ticket()["id"]
    catch_up()
    head = log_head()
    path, _, query = case.path.format(ticket=ticket_id).partition("?")
    headers = {**(auth(case.role) if case.role else {}), **case.headers}

    result = client.simulate_request(
        case.method, path, query_string=query or None, body=case.body, headers=headers
    )

    assert_problem(result, case.status)
    assert log_head() == head


# What the problems say


def test_a_field_of_the_wrong_type_is_named_in_the_problem(
    client: Client, auth: Callable[..., Headers]
) -> None:
    result = client.simulate_post(
        "/tickets", json={**VALID_TICKET, "priority": "whenever"}, headers=auth()
    )

    problem = assert_problem(result, 422)
    assert problem["errors"][0]["field"] == "priority"
    assert "priority" in problem["detail"]


@pytest.mark.parametrize(
    ("action", "body", "field_name"),
    [
        ("rating", {"score": 0}, "score"),
        ("rating", {"score": "five"}, "score"),
        ("dispatch", {"department": 7}, "department"),
        ("dispatch", {"department": "x" * 121}, "department"),
        ("feedback", {"channel": "pigeon"}, "channel"),
        ("reopen", {"reason": ""}, "reason"),
    ],
)
def test_an_invalid_action_body_names_the_offending_field(
    open_ticket: OpenTicket, act: Act, action: str, body: dict[str, Any], field_name: str
) -> None:
    ticket_id = open_ticket()["id"]

    problem = assert_problem(act(ticket_id, action, body), 422)

    assert problem["errors"][0]["field"] == field_name


def test_a_missing_required_field_is_named_in_the_problem(
    client: Client, auth: Callable[..., Headers]
) -> None:
    result = client.simulate_post(
        "/tickets", json={"category": "billing", "subject": "s"}, headers=auth()
    )

    assert assert_problem(result, 422)["errors"][0]["field"] == "channel"


def test_an_unknown_field_is_named_in_the_problem(
    client: Client, auth: Callable[..., Headers]
) -> None:
    result = client.simulate_post("/tickets", json={**VALID_TICKET, "vip": True}, headers=auth())

    assert assert_problem(result, 422)["errors"][0]["field"] == "vip"


def test_an_unknown_field_is_refused_and_mentioned_in_the_detail(
    client: Client, auth: Callable[..., Headers]
) -> None:
    result = client.simulate_post("/tickets", json={**VALID_TICKET, "vip": True}, headers=auth())

    assert "vip" in assert_problem(result, 422)["detail"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"channel":"phone","category":"billing","subject":"\xff"}',
        b'{"channel":"phone","category":"billing","subject":"\xed\xa0\x80"}',
        b'{"\xff":1}',
    ],
    ids=["invalid byte in a value", "encoded surrogate in a value", "invalid byte in a key"],
)
def test_invalid_utf_8_inside_a_json_string_is_400_not_500(
    client: Client, auth: Callable[..., Headers], log_head: Callable[[], int], body: bytes
) -> None:
    result = client.simulate_post("/tickets", body=body, headers={**auth(), "Content-Type": JSON})

    assert_problem(result, 400)
    assert log_head() == 0


def test_an_unauthenticated_request_is_told_how_to_authenticate(client: Client) -> None:
    result = client.simulate_post("/tickets", json=VALID_TICKET)

    assert_problem(result, 401)
    assert result.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_forbidden_request_names_the_role_that_may_not_act(
    client: Client, auth: Callable[..., Headers]
) -> None:
    result = client.simulate_post("/tickets", json=VALID_TICKET, headers=auth("reporter"))

    assert "reporter" in assert_problem(result, 403)["detail"]


@pytest.mark.parametrize(
    ("path", "slug", "says"),
    [
        ("/tickets?cursor=nonsense", "bad-cursor", "not one this list issued"),
        ("/complaints?cursor=W10", "bad-cursor", "not one this list issued"),
        ("/tickets?overdue=lunch", "bad-query-parameter", "response, resolution"),
        ("/complaints?overdue=soon", "bad-query-parameter", "first_reply, final_answer, any"),
        ("/visits?due=yesterday", "bad-query-parameter", "today, overdue, late"),
    ],
)
def test_a_bad_list_query_is_a_400_problem_mapped_in_one_place(
    client: Client, auth: Callable[..., Headers], path: str, slug: str, says: str
) -> None:
    problem = assert_problem(client.simulate_get(path, headers=auth()), 400)
    assert problem["type"] == f"/problems/{slug}"
    assert says in problem["detail"]


def test_a_ledger_too_large_to_list_is_a_400_asking_for_a_narrower_range(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: OpenTicket,
    catch_up: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    open_ticket(), open_ticket()
    catch_up()
    monkeypatch.setattr("kefu.projections.reports.ledger.MAX_ROWS", 1)
    window = "from=2030-03-01T00:00:00%2B08:00&to=2030-04-01T00:00:00%2B08:00"
    result = client.simulate_get(f"/reports/ledger?{window}", headers=auth("reporter"))

    problem = assert_problem(result, 400)
    assert problem["type"] == "/problems/bad-query-parameter"
    assert "narrow from/to" in problem["detail"]


def test_an_unknown_action_is_404_and_lists_the_actions_there_are(
    open_ticket: OpenTicket, act: Act
) -> None:
    ticket_id = open_ticket()["id"]

    problem = assert_problem(act(ticket_id, "teleport", {}), 404)

    assert "dispatch" in problem["detail"] and "follow-ups" in problem["detail"]


def test_a_method_an_action_does_not_support_is_405_with_allow(
    client: Client, auth: Callable[..., Headers], open_ticket: OpenTicket
) -> None:
    ticket_id = open_ticket()["id"]

    result = client.simulate_get(f"/tickets/{ticket_id}/review", headers=auth())

    assert_problem(result, 405)
    assert "POST" in result.headers["Allow"]


def test_posting_to_the_history_is_405_whatever_the_role(
    client: Client, auth: Callable[..., Headers], open_ticket: OpenTicket
) -> None:
    ticket_id = open_ticket()["id"]

    for role in ("admin", "service"):
        result = client.simulate_post(f"/tickets/{ticket_id}/history", json={}, headers=auth(role))
        assert_problem(result, 405)


def test_a_declared_content_length_over_1_mib_is_413_before_the_body_is_read(
    client: Client, auth: Callable[..., Headers]
) -> None:
    body = b"{" + b" " * ONE_MIB + b"}"

    result = client.simulate_post("/tickets", body=body, headers={**auth(), "Content-Type": JSON})

    assert "1 MiB" in assert_problem(result, 413)["detail"]


def test_a_body_of_exactly_1_mib_is_read(client: Client, auth: Callable[..., Headers]) -> None:
    padding = ONE_MIB - len(encode(VALID_TICKET))
    body = encode(VALID_TICKET)[:-1] + b" " * padding + b"}"
    assert len(body) == ONE_MIB

    result = client.simulate_post("/tickets", body=body, headers={**auth(), "Content-Type": JSON})

    assert result.status_code == 201


def test_a_json_media_type_with_parameters_or_a_json_suffix_is_accepted(
    client: Client, auth: Callable[..., Headers]
) -> None:
    for media_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        result = client.simulate_post(
            "/tickets", body=encode(VALID_TICKET), headers={**auth(), "Content-Type": media_type}
        )
        assert result.status_code == 201, media_type


# Arbitrary input never breaks the server

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=10,
)


def _mutated(valid: dict[str, Any], changes: list[tuple[str, Any, bool]]) -> dict[str, Any]:
    body = dict(valid)
    for name, value, drop in changes:
        if drop:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def near_valid(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The valid body with up to three fields dropped, replaced by anything, or added."""
    names = st.sampled_from(sorted(valid)) | st.text(max_size=10)
    change = st.tuples(names, json_values, st.booleans())
    return st.lists(change, max_size=3).map(lambda changes: _mutated(valid, changes))


def bodies(valid: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """Near-valid and arbitrary JSON (ASCII-escaped or raw UTF-8), and arbitrary bytes."""
    ascii_json = (near_valid(valid) | json_values).map(lambda v: json.dumps(v).encode())
    utf8_json = near_valid(valid).map(lambda v: json.dumps(v, ensure_ascii=False).encode())
    return ascii_json | utf8_json | st.binary(max_size=300)


# Header values as a latin-1 HTTP server would pass them on: any byte but controls.
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=60,
)
meaningful = st.sampled_from(['"1"', '"0"', 'W/"1"', "*", "key-1", str(uuid.UUID(int=7)), "ivr"])
json_media = st.sampled_from([JSON, "application/json; charset=utf-8", "application/x+json"])
# Mostly a JSON media type, so that most bodies get past the 415 to the decoder.
content_type = st.one_of(
    json_media, st.builds("{};{}".format, json_media, header_text), header_text
)
random_headers = st.fixed_dictionaries(
    {"Content-Type": content_type},
    optional={
        name: meaningful | header_text
        for name in (
            "If-Match",
            "Idempotency-Key",
            "X-Correlation-ID",
            "X-Causation-ID",
            "X-Channel",
            "Accept",
        )
    },
)

FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_no_server_error_and_4xx_writes_nothing(
    result: Result, head_before: int, head_after: int
) -> None:
    event(f"answered {result.status_code}")
    assert result.status_code < 500, result.text
    if result.status_code >= 400:
        assert_problem(result, result.status_code)
        assert head_after == head_before
    else:
        replayed = result.headers.get("Idempotent-Replayed") == "true"
        assert head_after == head_before + (0 if replayed else 1)
        assert set(result.json) == {"id", "version", "status", "position"}


@FUZZ
@given(body=bodies(VALID_TICKET), headers=random_headers)
def test_opening_a_ticket_never_answers_5xx_and_a_refusal_writes_nothing(
    client: Client,
    auth: Callable[..., Headers],
    log_head: Callable[[], int],
    body: bytes,
    headers: dict[str, str],
) -> None:
    head = log_head()

    result = client.simulate_post("/tickets", body=body, headers={**auth(), **headers})

    assert_no_server_error_and_4xx_writes_nothing(result, head, log_head())


@FUZZ
@given(
    body=bodies({"department": "billing", "agent_id": "agent-7"}),
    headers=random_headers,
)
def test_dispatching_never_answers_5xx_and_a_refusal_writes_nothing(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: OpenTicket,
    log_head: Callable[[], int],
    body: bytes,
    headers: dict[str, str],
) -> None:
    ticket_id = open_ticket()["id"]
    head = log_head()

    result = client.simulate_post(
        f"/tickets/{ticket_id}/dispatch",
        body=body,
        headers={**auth(), **headers},
    )

    assert_no_server_error_and_4xx_writes_nothing(result, head, log_head())
