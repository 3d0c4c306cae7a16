"""pagination.page on single list answers; check_traversal on whole walks."""

from __future__ import annotations

import pytest

from conformance.checks import check_traversal
from tests.checks import check_bodies as b

ITEMS = [b.assistant(id=f"asst_{i:03d}", created_at=b.NOW + i) for i in range(7)]


def page(items, has_more, query=None, status=200):
    body = b.assistant_list(items, has_more) if status == 200 else b.error()
    return b.exchange("GET", "/assistants", status, body, operation_id="listAssistants", query=query or {})


def walk(items, size, order="desc", direction="after"):
    """The pages a correct server answers for a walk over `items` (already in list order)."""
    pages, start = [], 0
    if direction == "after":
        cursor = None
        while True:
            chunk = items[start : start + size]
            query = {"limit": size, "order": order, **({"after": cursor} if cursor else {})}
            start += size
            pages.append(page(chunk, start < len(items), query))
            if start >= len(items):
                return pages
            cursor = chunk[-1]["id"]
    end = len(items)
    cursor = items[-1]["id"]
    end -= 1  # a before walk starts from the last item: it returns the ones in front of it
    while end > 0:
        chunk = items[max(0, end - size) : end]
        pages.append(page(chunk, end - size > 0, {"limit": size, "order": order, "before": cursor}))
        cursor, end = chunk[0]["id"], end - size
    return pages


def page_ids(judge, exchange):
    return [(v.path, v.message) for v in judge(exchange, ["pagination.page"])]


def test_a_conforming_page(judge):
    desc = sorted(ITEMS, key=lambda i: -i["created_at"])[:3]
    assert judge(page(desc, True, {"limit": 3}), ["pagination.page", "response.schema"]) == []


def test_first_and_last_id_must_match_the_data(judge):
    body = dict(b.assistant_list(ITEMS[:2]), first_id="asst_999")
    exchange = b.exchange(
        "GET", "/assistants", 200, body, operation_id="listAssistants", query={"order": "asc"}
    )
    (violation,) = judge(exchange, ["pagination.page"])
    assert violation.path == "$.first_id" and violation.expected == "asst_000"


def test_empty_page_cursors_must_be_null_and_has_more_false(judge):
    body = dict(b.assistant_list([]), first_id="asst_000", has_more=True)
    exchange = b.exchange("GET", "/assistants", 200, body, operation_id="listAssistants")
    assert sorted(v.path for v in judge(exchange, ["pagination.page"])) == ["$.first_id", "$.has_more"]


def test_limit_is_enforced_with_the_spec_default_when_absent(judge):
    many = [b.assistant(id=f"asst_{i:03d}", created_at=b.NOW - i) for i in range(21)]
    (violation,) = judge(page(many, False), ["pagination.page"])
    assert violation.expected == "<= 20" and violation.got == "21"
    (violation,) = judge(page(many[:5], False, {"limit": 4}), ["pagination.page"])
    assert violation.expected == "<= 4"


@pytest.mark.parametrize(
    "order, reverse, fires",
    [
        ("asc", False, False),
        ("asc", True, True),
        ("desc", True, False),
        ("desc", False, True),
        (None, False, True),
    ],
)
def test_created_at_follows_order_default_desc(judge, order, reverse, fires):
    items = sorted(ITEMS[:3], key=lambda i: i["created_at"], reverse=reverse)
    violations = judge(page(items, False, {"order": order} if order else {}), ["pagination.page"])
    assert bool(violations) is fires
    if fires:
        assert violations[0].path == "$.data[1].created_at"


def test_object_must_be_list_and_items_need_ids(judge):
    items = [b.assistant(), {k: v for k, v in b.assistant(id="asst_x").items() if k != "id"}]
    body = dict(b.assistant_list(items), object="page", last_id=None)
    exchange = b.exchange(
        "GET", "/assistants", 200, body, operation_id="listAssistants", query={"order": "asc"}
    )
    assert sorted(v.path for v in judge(exchange, ["pagination.page"])) == ["$.data[1]", "$.object"]


def test_non_list_operations_are_ignored(judge):
    assert (
        judge(
            b.exchange("GET", "/assistants/asst_abc123", 200, b.assistant(), operation_id="getAssistant"),
            ["pagination.page"],
        )
        == []
    )


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_a_correct_walk_passes_in_both_orders(order):
    items = ITEMS if order == "asc" else ITEMS[::-1]
    pages = walk(items, 3, order)
    assert len(pages) == 3
    assert check_traversal(pages, expected_ids=[i["id"] for i in items]) == []


def test_an_item_visited_twice(judge):
    pages = walk(ITEMS, 3, "asc")
    repeat = page(ITEMS[2:5], True, {"after": ITEMS[2]["id"], "order": "asc"})
    violations = check_traversal([pages[0], repeat, pages[2]])
    messages = [v.message for v in violations]
    assert any("visited twice" in m for m in messages)
    assert all(v.check == "pagination.traversal" and v.family == "pagination" for v in violations)


def test_has_more_must_be_false_exactly_on_the_last_page():
    pages = walk(ITEMS, 3, "asc")
    pages[-1] = page(ITEMS[6:], True, pages[-1].request.query)
    (violation,) = check_traversal(pages)
    assert violation.path == "$.has_more" and "last page" in violation.message
    early = walk(ITEMS, 3, "asc")
    early[0] = page(ITEMS[:3], False, early[0].request.query)
    assert [v.path for v in check_traversal(early)] == ["$.has_more"]


def test_items_the_walk_never_reaches():
    pages = walk(ITEMS[:5], 3, "asc")
    (violation,) = check_traversal(pages, expected_ids=[i["id"] for i in ITEMS])
    assert "never reached 2 of 7" in violation.message


def test_order_across_pages_is_checked():
    pages = walk(ITEMS, 3, "asc")
    shuffled = [pages[0], page(ITEMS[3:6][::-1], True, pages[1].request.query), pages[2]]
    messages = [v.message for v in check_traversal(shuffled)]
    assert any("order" in m for m in messages)


def test_cursor_must_be_the_previous_edge_id():
    pages = walk(ITEMS, 3, "asc")
    pages[1].request.query["after"] = ITEMS[0]["id"]
    (violation,) = check_traversal(pages)
    assert violation.expected == ITEMS[2]["id"]


def test_a_failed_page_stops_the_walk():
    pages = walk(ITEMS, 3, "asc")
    pages[1] = page([], False, pages[1].request.query, status=500)
    (violation,) = check_traversal(pages)
    assert "failed" in violation.message and violation.status == 500


def test_before_walks_back_symmetrically():
    forward = walk(ITEMS, 3, "asc")
    backward = walk(ITEMS, 2, "asc", direction="before")
    assert check_traversal(backward, direction="before") == []
    assert check_traversal(forward, backward=backward) == []
    lossy = backward[:-1] + [page([], False, backward[-1].request.query)]
    violations = check_traversal(forward, backward=lossy)
    assert violations and violations[0].check == "pagination.traversal"


def test_order_can_be_given_when_the_requests_leave_it_to_the_default():
    pages = walk(ITEMS[::-1], 3, "desc")
    for exchange in pages:
        del exchange.request.query["order"]
    assert check_traversal(pages, order="desc") == []
    assert any("order" in v.message for v in check_traversal(pages, order="asc"))


def test_has_more_true_before_an_empty_page_is_caught():
    """A list whose last page claims more: the walk follows it to an empty page, which proves it wrong."""
    pages = walk(ITEMS, 3, "asc")
    pages[-1] = page(ITEMS[6:], True, pages[-1].request.query)
    empty = page([], False, {"after": ITEMS[-1]["id"], "order": "asc"})
    (violation,) = check_traversal([*pages, empty], expected_ids=[i["id"] for i in ITEMS])
    assert violation.path == "$.has_more" and (violation.expected, violation.got) == ("false", "true")
    assert "next page is empty" in violation.message


@pytest.mark.parametrize(("limit", "fires"), [(0, False), ("0", False), (1, True)])
def test_a_limit_0_page_is_empty_yet_may_have_more(judge, limit, fires):
    """ListSkills, list-groups and others allow limit=0: an empty page then says nothing about the next."""
    findings = page_ids(judge, page([], True, {"limit": limit}))
    assert (("$.has_more", "has_more is true on an empty page") in findings) is fires
