"""Customer files found by their words: `GET /customers?q=` and `GET /search`, only for the
roles that read files."""

from __future__ import annotations

from collections.abc import Callable

import falcon.testing

from kefu.auth import Role
from kefu.http.case_search import may_read_customers
from kefu.http.customers import CUSTOMER_READERS
from tests.http.conftest import TOKENS, Headers

Client = falcon.testing.TestClient


def test_the_customer_list_finds_files_by_name_phone_email_address_and_tags(
    client: Client,
    auth: Callable[..., Headers],
    new_customer: Callable[..., str],
    catch_up: Callable[[], int],
) -> None:
    wang = new_customer(
        name="王小明", phones=["+8613800138000"], email="xiaoming@example.com",
        address="上海市浦东新区世纪大道100号", tags=["婚纱摄影"], tier="vip",
    )  # fmt: skip
    li = new_customer(name="李雷", address="北京市朝阳区", tags=["老客户"])
    duplicate = new_customer(name="王小明", phones=["+8613900139000"])
    merged = client.simulate_post(
        f"/customers/{duplicate}/merge", json={"into": wang}, headers=auth()
    )
    assert merged.status_code == 200, merged.text
    catch_up()

    def found(q: str, **more: str) -> list[str]:
        answer = client.simulate_get("/customers", params={"q": q, **more}, headers=auth())
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json["items"]]

    assert found("小明") == [wang]  # the merged duplicate is found through its survivor
    assert found("浦东新区") == [wang]
    assert found("13800138000") == [wang]  # the national digits of a stored E.164 number
    assert found("13900139000") == [wang]  # ... and the duplicate's number, after the merge
    assert found("xiaoming@example.com") == [wang]
    assert found("老客户") == [li]
    assert found("小明", tier="vip") == [wang]  # with the list's other filters
    assert found("小明", tier="member") == []
    assert found("广州") == []
    refused = client.simulate_get("/customers", params={"q": "小明"}, headers=auth("auditor"))
    assert refused.status_code == 403


def test_search_returns_customer_files_only_to_the_roles_that_read_them(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: Callable[..., dict[str, str]],
    new_customer: Callable[..., str],
    catch_up: Callable[[], int],
) -> None:
    customer = new_customer(name="赵敏", address="杭州市西湖区文三路")
    ticket = open_ticket(subject="西湖区的门店地址")["id"]
    catch_up()
    for role in TOKENS:
        answer = client.simulate_get("/search", params={"q": "西湖区"}, headers=auth(role))
        listed = client.simulate_get("/customers", params={"q": "西湖区"}, headers=auth(role))
        reads_files = listed.status_code == 200
        assert reads_files == may_read_customers(Role(role))
        if answer.status_code == 403:
            continue
        found = {(i["kind"], i["id"]) for i in answer.json["items"]}
        assert (("customer", customer) in found) == reads_files, role
        assert ("ticket", ticket) in found
    assert "auditor" not in CUSTOMER_READERS  # so the loop above saw a refusal
    only = client.simulate_get(
        "/search", params={"q": "文三路", "kinds": "customer"}, headers=auth()
    )
    [hit] = only.json["items"]
    assert (hit["kind"], hit["id"]) == ("customer", customer)
    assert "文三路" in hit["snippet"]
