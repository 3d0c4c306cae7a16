"""Pagination traversal: fill a collection with more than one page of objects, walk it in both orders
with `after`, walk back with `before`, and check the exact set (`pagination.traversal`).

Where the collection has a parent (a thread's messages, a vector store's files) the scenario makes a
fresh parent, so the list must hold exactly the objects it created. Top-level collections (assistants,
files ...) are shared with the rest of the account: the walk must reach every created object once,
in order, and is not judged when the list is longer than `MAX_PAGES` pages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from conformance.checks import CHECKS, Finding, check_traversal
from conformance.exchange import Exchange
from conformance.runner.resources import params_of
from conformance.scenarios.flow import Flow, Skip
from conformance.scenarios.flows import DOCUMENT, MODEL, upload
from conformance.scenarios.registry import register

ITEMS = 5
LIMIT = 2
MAX_PAGES = 25
FAST_LIMIT = 100


def _assistant(flow: Flow, parent: dict[str, str], i: int) -> dict[str, Any]:
    return flow.json(
        flow.call("createAssistant", body={"model": MODEL, "name": f"page item {i}"}, created=True)
    )


def _message(flow: Flow, parent: dict[str, str], i: int) -> dict[str, Any]:
    body = {"role": "user", "content": f"page item {i}"}
    return flow.json(flow.call("createMessage", parent, body=body, created=True))


def _vector_store(flow: Flow, parent: dict[str, str], i: int) -> dict[str, Any]:
    return flow.json(flow.call("createVectorStore", body={"name": f"page item {i}"}, created=True))


def _vector_store_file(flow: Flow, parent: dict[str, str], i: int) -> dict[str, Any]:
    file_id = upload(flow, f"page{i}.txt", DOCUMENT + str(i).encode(), "assistants")
    return flow.json(flow.call("createVectorStoreFile", parent, body={"file_id": file_id}, created=True))


def _file(flow: Flow, parent: dict[str, str], i: int) -> dict[str, Any]:
    exchange = flow.call(
        "createFile",
        body={"purpose": "assistants"},
        files={"file": (f"page{i}.txt", DOCUMENT + str(i).encode(), "text/plain")},
        created=True,
    )
    return flow.json(exchange)


def _chat_completion(flow: Flow, parent: dict[str, str], i: int) -> dict[str, Any]:
    body = {"model": MODEL, "messages": [{"role": "user", "content": f"Say {i}."}], "store": True}
    return flow.json(flow.call("createChatCompletion", body=body, created=True))


def _thread(flow: Flow) -> dict[str, str]:
    return {"thread_id": str(flow.json(flow.call("createThread", body={}, created=True))["id"])}


def _store(flow: Flow) -> dict[str, str]:
    exchange = flow.call("createVectorStore", body={"name": "page parent"}, created=True)
    return {"vector_store_id": str(flow.json(exchange)["id"])}


def _runs(flow: Flow) -> tuple[dict[str, str], list[str] | None]:
    """A fresh thread with ITEMS finished runs (one at a time: a thread runs one run at once)."""
    assistant = flow.json(flow.call("createAssistant", body={"model": MODEL, "name": "pages"}, created=True))
    parent = _thread(flow)
    flow.call("createMessage", parent, body={"role": "user", "content": "Say hi."}, created=True)
    ids = []
    for _ in range(ITEMS):
        body = {"assistant_id": assistant["id"]}
        run = flow.json(flow.call("createRun", parent, body=body, created=True))
        flow.poll("getRun", {**parent, "run_id": run["id"]})
        ids.append(str(run["id"]))
    return parent, ids


def _file_batch(flow: Flow) -> tuple[dict[str, str], list[str] | None]:
    """A fresh vector store with a file batch of ITEMS files, finished."""
    files = [upload(flow, f"page{i}.txt", DOCUMENT + str(i).encode(), "assistants") for i in range(ITEMS)]
    store = _store(flow)
    exchange = flow.call("createVectorStoreFileBatch", store, body={"file_ids": files}, created=True)
    parent = {**store, "batch_id": str(flow.json(exchange)["id"])}
    flow.poll("getVectorStoreFileBatch", parent)
    return parent, None


def _completion_messages(flow: Flow) -> tuple[dict[str, str], list[str] | None]:
    """A stored chat completion whose request held ITEMS messages."""
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i}"} for i in range(ITEMS)]
    body = {"model": MODEL, "messages": messages, "store": True}
    return {
        "completion_id": str(flow.json(flow.call("createChatCompletion", body=body, created=True))["id"])
    }, None


def _input_items(flow: Flow) -> tuple[dict[str, str], list[str] | None]:
    """A stored response whose input held ITEMS messages."""
    items = [{"role": "user", "content": f"turn {i}"} for i in range(ITEMS)]
    body = {"model": MODEL, "input": items, "store": True}
    return {"response_id": str(flow.json(flow.call("createResponse", body=body, created=True))["id"])}, None


def _batch(flow: Flow, parent: dict[str, str], i: int) -> dict[str, Any]:
    line = {
        "custom_id": f"page-{i}",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]},
    }
    file_id = upload(flow, f"page{i}.jsonl", (json.dumps(line) + "\n").encode(), "batch", "application/jsonl")
    body = {"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    return flow.json(flow.call("createBatch", body=body, created=True))


Maker = Callable[[Flow, dict[str, str], int], dict[str, Any]]
Parent = Callable[[Flow], dict[str, str]]
Filler = Callable[[Flow], tuple[dict[str, str], "list[str] | None"]]
# list operation -> (make one item, make a fresh parent or None for a top-level list)
WALKS: dict[str, tuple[Maker, Parent | None]] = {
    "listAssistants": (_assistant, None),
    "listMessages": (_message, _thread),
    "listVectorStores": (_vector_store, None),
    "listVectorStoreFiles": (_vector_store_file, _store),
    "listFiles": (_file, None),
    "listChatCompletions": (_chat_completion, None),
    "listBatches": (_batch, None),
}
# list operation -> fill a fresh parent's collection at once: (parent, ids in creation order, or None
# when only the target knows them: the first full page is then the reference)
FILLS: dict[str, Filler] = {
    "listRuns": _runs,
    "listFilesInVectorStoreBatch": _file_batch,
    "getChatCompletionMessages": _completion_messages,
    "listInputItems": _input_items,
}


def walk(
    flow: Flow,
    operation_id: str,
    parent: dict[str, str],
    base: dict[str, Any],
    cursor: str,
    start: str | None,
    ours: set[str] | None = None,
) -> list[Exchange] | None:
    """Fetch pages following `cursor` ("after": the last id, "before": the first); None past MAX_PAGES.

    Once every id in `ours` was seen, the rest of a shared list is fetched `FAST_LIMIT` at a time (a
    cursor walk may change `limit` between pages), so a long account list stays cheap to finish.
    """
    pages: list[Exchange] = []
    query = dict(base)
    if start is not None:
        query[cursor] = start
    seen: set[str] = set()
    while len(pages) < MAX_PAGES:
        exchange = flow.call(operation_id, parent, query=dict(query))
        pages.append(exchange)
        body = flow.json(exchange)
        data = body.get("data") or []
        if body.get("has_more") is not True or not data:
            return pages
        seen.update(str(item.get("id")) for item in data if isinstance(item, dict))
        edge = data[-1] if cursor == "after" else data[0]
        following = edge.get("id") if isinstance(edge, dict) else None
        if following is None or following == query.get(cursor):
            return pages  # the cursor does not move: judged as a walk that repeats itself
        query[cursor] = following
        if ours is not None and ours <= seen:
            query["limit"] = FAST_LIMIT
    return None


def _predecessor(
    flow: Flow, operation_id: str, base: dict[str, Any], ours: set[str]
) -> tuple[bool, str | None]:
    """In a shared list, the id just in front of the first of `ours` it lists (read FAST_LIMIT items
    at a time), so the judged walk can start next to the scenario's items: (found, that id, or None
    when one of ours leads the list)."""
    query = {**base, "limit": FAST_LIMIT}
    previous: str | None = None
    for _ in range(MAX_PAGES):
        body = flow.json(flow.call(operation_id, {}, query=dict(query)))
        ids = [str(item.get("id")) for item in body.get("data") or [] if isinstance(item, dict)]
        index = next((i for i, value in enumerate(ids) if value in ours), None)
        if index is not None:
            return True, ids[index - 1] if index else previous
        if body.get("has_more") is not True or not ids:
            return False, None
        previous = query["after"] = ids[-1]
    return False, None


def _reference(flow: Flow, operation_id: str, parent: dict[str, str], base: dict[str, Any]) -> list[str]:
    """The collection's ids in list order, read in one page (for collections whose ids only the
    target knows)."""
    exchange = flow.call(operation_id, parent, query={**base, "limit": 100})
    body = flow.json(exchange)
    if body.get("has_more") is True:
        raise Skip(f"{operation_id}: the reference page is not the whole collection")
    return [str(item.get("id")) for item in body.get("data") or [] if isinstance(item, dict)]


def traverse(session: Any, phase: Any, operation_id: str) -> None:
    make, fresh = WALKS.get(operation_id, (None, None))
    fill = FILLS.get(operation_id)
    cost = ITEMS * (40 if operation_id == "listRuns" else 3) + 4 * MAX_PAGES + 10
    with Flow(session, phase, cost=cost, family="pagination") as flow:
        op = flow.operation(operation_id)
        names = {p.name for p in op.parameters if p.location == "query"}
        if not {"after", "limit"} <= names:
            raise Skip(f"{operation_id} has no after/limit cursor parameters")
        ids: list[str] | None
        if fill is not None:
            parent, ids = fill(flow)
            exact = True
            distinct = ids is None  # the reference page is the target's own order; created ids may tie
        else:
            assert make is not None
            parent = fresh(flow) if fresh is not None else {}
            exact = fresh is not None
            if set(params_of(op.path)) - set(parent):
                raise Skip(f"no parent to fill {op.path} under")
            items = [make(flow, parent, i) for i in range(ITEMS)]
            ids = [str(item["id"]) for item in items]
            stamps = [item.get("created_at") for item in items]
            distinct = len(set(stamps)) == len(stamps)  # same-second items may come in any order
        flow.needs_state()  # the walk judges the lists by the objects this flow created
        orders = ("desc", "asc") if "order" in names else (None,)
        for order in orders:
            base: dict[str, Any] = {"limit": LIMIT}
            if order is not None:
                base["order"] = order
            if ids is None:
                listed = _reference(flow, operation_id, parent, base)
                if len(listed) != ITEMS:
                    message = f"a collection filled with {ITEMS} items lists {len(listed)}"
                    flow.add(
                        [_violation(flow.call(operation_id, parent, query=base), message, ITEMS, len(listed))]
                    )
                    return
            else:
                listed = ids if order in ("asc", None) else list(reversed(ids))
            start: str | None = None
            if not exact:
                found, start = _predecessor(flow, operation_id, base, set(listed))
                if not found:
                    message = f"{operation_id} lists none of the {ITEMS} items the scenario created"
                    exchange = flow.call(operation_id, parent, query=base)
                    flow.add([_violation(exchange, message, listed, None)])
                    continue
            pages = walk(flow, operation_id, parent, base, "after", start, None if exact else set(listed))
            if pages is None:
                phase.result.reason = f"the {operation_id} list is longer than {MAX_PAGES} pages: not judged"
                return
            # the list order is judged against the target's own page, or created items with distinct
            # timestamps in a documented `order`
            in_order = ids is None or (distinct and order is not None)
            backward = None
            if "before" in names and start is None:  # a walk from the list's start can be walked back
                seen = [i.get("id") for p in pages for i in (p.response.json().get("data") or [])]
                if listed[-2] in seen:
                    backward = walk(flow, operation_id, parent, base, "before", listed[-2])
            judged = check_traversal(
                pages,
                direction="after",
                expected_ids=listed if in_order else None,
                backward=backward,
                order=order,
            )
            flow.add(judged)
            walked = [i.get("id") for p in pages for i in (p.response.json().get("data") or [])]
            missing = [i for i in listed if i not in walked]
            if missing and not in_order:  # check_traversal reports them when it judges the order
                flow.add(
                    [
                        _violation(
                            pages[-1],
                            f"the walk never reached {len(missing)} of {ITEMS} items",
                            listed,
                            missing,
                        )
                    ]
                )
            extra = [i for i in walked if i not in listed]
            if exact and extra:
                message = f"a new {op.path} collection lists {len(extra)} item(s) the scenario did not create"
                flow.add([_violation(pages[-1], message, listed, extra)])
            if len(pages) < 2:
                message = f"{ITEMS} items with limit={LIMIT} came in one page"
                flow.add([_violation(pages[0], message, f"{-(-ITEMS // LIMIT)} pages", 1)])


def _violation(exchange: Exchange, message: str, expected: Any, got: Any) -> Any:
    return CHECKS["pagination.traversal"].violation(Finding(message, expected, got), exchange)


def _scenario(operation_id: str) -> Callable[[Any, Any], None]:
    def run(session: Any, phase: Any) -> None:
        traverse(session, phase, operation_id)

    run.__doc__ = f"Fill {operation_id}'s collection past one page, walk it both ways, check the exact set."
    return run


for _name in [*WALKS, *FILLS]:
    register(f"pagination-{_name}", _name)(_scenario(_name))
