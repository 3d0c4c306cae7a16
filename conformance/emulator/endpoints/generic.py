"""Spec-driven answers for every operation no hand-written module handles.

The path templates of the spec say what an operation does, so no endpoint is written by hand:

* `/evals` + `/evals/{eval_id}` form a collection: POST creates an object synthesised from the
  response schema and carrying the request's fields, GET lists it (cursor pagination), and the item
  path retrieves, modifies (POST) and deletes it. Nested collections live under their parent's id,
  which must exist.
* `/evals/{eval_id}/runs/{run_id}/cancel` is an action on an item: it changes the item's `status`
  (cancel → cancelled, archive → archived, ...). `/.../content` returns the item's bytes.
* Collections the API offers no create for (organization users, project API keys, ...) hold two
  seeded objects from their first use; any other id is a 404, as for every collection.
* Objects created `queued` (videos, eval runs) move to in_progress and completed, one state per
  `run_delay`, like runs.
* A path without items (`/organization/data_retention`) is a singleton: GET reads, POST merges.
* Anything else answers a value synthesised from the declared 2xx schema.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from conformance.emulator import media
from conformance.emulator.context import Context
from conformance.emulator.items import input_items
from conformance.emulator.registry import fallback, lookup
from conformance.emulator.synth import success_schema, synthesizer
from conformance.spec import Spec, schema_properties
from conformance.spec.data import load_table

_PARAM = re.compile(r"^\{([^}]+)\}$")

# Id prefixes of the objects the generic handler creates whose kind `spec/objects.yaml` does not list
# (that table holds the real API's prefixes, which come first), by the collection's last path segment.
PREFIXES = {
    "containers": "cntr_",  # the spec leaves a container's `object` a plain string
    "users": "user-",  # project and group members are organization users
    "output_items": "outputitem_",
    "files": "cfile_",
    "items": "msg_",
    "videos": "video_",
    "characters": "char_",
    "skills": "skill_",
    "groups": "group_",
    "roles": "role_",
    "certificates": "cert_",
    "spend_alerts": "alert_",
    "rate_limits": "rl-",
    "voice_consents": "cons_",
    "permissions": "cp_",
    "threads": "cthr_",
    "sessions": "cksess_",
    "audit_logs": "audit_log-",
}

# What an action does to an item's `status` (the first spelling the schema allows wins).
ACTION_STATUS = {
    "cancel": ("cancelled", "canceled"),
    "archive": ("archived",),
    "pause": ("paused",),
    "resume": ("running", "in_progress", "active"),
    "activate": ("active",),
    "deactivate": ("inactive",),
    "hangup": ("completed",),
    "reject": ("rejected",),
    "accept": ("accepted", "active"),
}


# Objects a collection without a create holds from the start.
SEEDS = 2
# The states asynchronous objects pass through on their own.
LIFECYCLE = ("queued", "in_progress", "completed")


@dataclass(frozen=True)
class Shape:
    """What an operation is, read from its path template and the spec's other paths."""

    role: str  # create | list | retrieve | modify | delete | action | content | singleton | other
    collection: str | None = None  # the collection's path template
    item_param: str | None = None
    action: str | None = None
    creatable: bool = False  # the API offers a create for this collection


def _memoised(spec: Spec, what: str, key: str, make: Any) -> Any:
    return spec.derived((__name__, what, key), make)


def shape_of(spec: Spec, operation_id: str) -> Shape:
    return _memoised(spec, "shape", operation_id, lambda: _shape(spec, operation_id))


def _shape(spec: Spec, operation_id: str) -> Shape:
    op = spec.operation(operation_id)
    parts = op.path.strip("/").split("/")
    paths = _paths(spec)
    methods = paths["methods"].get(op.path, set())
    last = _PARAM.match(parts[-1])
    if last and len(parts) > 1 and not _PARAM.match(parts[-2]):
        collection = "/" + "/".join(parts[:-1])
        role = {"GET": "retrieve", "POST": "modify", "DELETE": "delete"}.get(op.method, "other")
        return Shape(role, collection, last.group(1), creatable=_strict(paths, collection))
    item = paths["items"].get(op.path)
    if item is not None:
        role = {"GET": "list", "POST": "create"}.get(op.method, "other")
        return Shape(role, op.path, item, creatable=_strict(paths, op.path))
    if len(parts) >= 2 and _PARAM.match(parts[-2]):
        collection = "/" + "/".join(parts[:-2])
        param = _PARAM.match(parts[-2]).group(1)  # type: ignore[union-attr]
        if op.method == "GET" and parts[-1] == "content":
            return Shape("content", collection, param, "content", creatable=_strict(paths, collection))
        if op.method == "GET" and op.paginated:
            return Shape("list", op.path, None)  # items that exist under an item (events, ...)
        if "GET" in methods:
            return Shape("singleton", op.path)
        if op.method == "POST":
            return Shape("action", collection, param, parts[-1], creatable=_strict(paths, collection))
        return Shape("other")
    if "GET" in methods and len(methods) > 1 and not op.paginated:
        return Shape("singleton", op.path)
    if op.method == "GET" and op.paginated:
        return Shape("list", op.path, None)  # a read-only log (audit logs): seeded items, real cursors
    return Shape("other")


def _paths(spec: Spec) -> dict[str, Any]:
    return _memoised(spec, "paths", "", lambda: _index_paths(spec))


def _index_paths(spec: Spec) -> dict[str, Any]:
    """Collection template → item parameter (any path below an item counts); path → methods."""
    items: dict[str, str] = {}
    methods: dict[str, set[str]] = {}
    for op in spec.operations:
        methods.setdefault(op.path, set()).add(op.method)
        parts = op.path.strip("/").split("/")
        for i in range(1, len(parts)):
            param = _PARAM.match(parts[i])
            if param and not _PARAM.match(parts[i - 1]):
                items.setdefault("/" + "/".join(parts[:i]), param.group(1))
    return {"items": items, "methods": methods}


def _strict(paths: dict[str, Any], collection: str) -> bool:
    """Whether the API can create items of the collection (otherwise it holds seeded objects)."""
    return "POST" in paths["methods"].get(collection, set())


def kind_of(collection: str) -> str:
    """The store kind of a generic collection."""
    return f"generic:{collection}"


def _parent_key(shape: Shape, ctx: Context, params: dict[str, str] | None = None) -> str | None:
    names = re.findall(r"\{([^}]+)\}", shape.collection or "")
    values = ctx.path_params if params is None else params
    return "/".join(values.get(n, "") for n in names) or None


def _prefix(spec: Spec, collection: str) -> str:
    return _memoised(spec, "prefix", collection, lambda: _prefix_uncached(spec, collection))


def _prefix_uncached(spec: Spec, collection: str) -> str:
    """The real API's prefix for the kind of object the collection holds, else the emulator's own."""
    schema = _retrieve_schema(spec, collection)
    obj = synthesizer(spec).merge(schema_properties(spec.document, schema).get("object")) if schema else None
    kinds = [obj["const"]] if isinstance(obj, dict) and "const" in obj else (obj or {}).get("enum") or []
    known = load_table("objects.yaml").get("id_prefixes") or {}
    if len(kinds) == 1 and kinds[0] in known:
        return known[kinds[0]]
    segment = collection.rstrip("/").rsplit("/", 1)[-1]
    return PREFIXES.get(segment, segment.rstrip("s") + "_")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]


# -- the handler -----------------------------------------------------------------------------------------


@fallback
async def generic(ctx: Context) -> Response:
    shape = shape_of(ctx.spec, ctx.operation.id)
    _check_ancestors(ctx, shape)
    handler = {
        "create": _create,
        "list": _list,
        "retrieve": _retrieve,
        "modify": _modify,
        "delete": _delete,
        "action": _action,
        "content": _content,
        "singleton": _singleton,
    }.get(shape.role, _other)
    return await handler(ctx, shape)


def answer(ctx: Context, hints: Any, *, seed: str = "") -> Response:
    """The operation's declared 2xx, its JSON body synthesised from the schema and `hints`."""
    status, schema = success_schema(ctx.operation)
    if schema is not None:
        return ctx.json(synthesizer(ctx.spec).value(schema, hints, seed=seed, now=ctx.now()), status=status)
    return _bytes_answer(ctx, status, None)


def _hints(ctx: Context) -> dict[str, Any]:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    return {**ctx.query, **ctx.path_params, **body}


async def _create(ctx: Context, shape: Shape) -> Response:
    assert shape.collection is not None
    status, schema = success_schema(ctx.operation)
    if schema is not None and _is_list(ctx.spec, schema):
        return _create_many(ctx, shape, schema, status)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    key = _new_key(ctx, shape, body)
    if schema is None:  # e.g. a realtime call answers SDP; its id travels in `Location`
        _save(ctx, shape, key, {"id": key})
        answer = _bytes_answer(ctx, status, None)
        answer.headers["location"] = (
            f"{ctx.settings.base_path}{ctx.request.url.path.split(ctx.settings.base_path, 1)[-1]}/{key}"
        )
        return answer
    hints = _linked(ctx, schema, {**_hints(ctx), shape.item_param or "id": key})
    obj = _build(ctx, shape, schema, key, hints)
    _save(ctx, shape, key, obj)
    _create_children(ctx, shape, key, body)
    if ctx.files:
        ctx.store.put_blob(f"{kind_of(shape.collection)}:{key}", next(iter(ctx.files.values()))[1])
    return ctx.json(obj, status=status)


def _create_many(ctx: Context, shape: Shape, schema: Any, status: int) -> Response:
    """A create that answers a list (conversation items, checkpoint permissions): one object per entry."""
    assert shape.collection is not None
    body = ctx.body if isinstance(ctx.body, dict) else {}
    field, given = next(((k, v) for k, v in body.items() if isinstance(v, list)), ("", [{}]))
    entries: list[Any] = (_as_items(given) if field == "items" else given) or [{}]
    each = item_schema(ctx.spec, schema)
    created = []
    for entry in entries:
        if not isinstance(entry, dict):  # `project_ids: [...]` makes one object per `project_id`
            entry = {field.removesuffix("s") if field.endswith("_ids") else "value": entry}
        key = _new_key(ctx, shape, entry)
        hints = {**ctx.path_params, **entry, "id": key, "created_at": ctx.now()}
        obj = synthesizer(ctx.spec).value(each, hints, seed=key, now=ctx.now())
        _save(ctx, shape, key, obj)
        created.append(obj)
    envelope = {
        "object": "list",
        "data": created,
        "first_id": created[0].get("id") if created else "",
        "last_id": created[-1].get("id") if created else "",
        "has_more": False,
    }
    return ctx.json(synthesizer(ctx.spec).value(schema, envelope, now=ctx.now()), status=status)


def _create_children(ctx: Context, shape: Shape, key: str, body: dict[str, Any]) -> None:
    """A create whose body lists the new object's children (a conversation's `items`) creates them."""
    item_path = f"{shape.collection}/{{{shape.item_param}}}"
    params = {**ctx.path_params, shape.item_param or "id": key}
    for field, entries in body.items():
        child = f"{item_path}/{field}"
        child_param = _paths(ctx.spec)["items"].get(child)
        if child_param is None or not isinstance(entries, list):
            continue
        child_shape = Shape("create", child, child_param, creatable=True)
        entries = _as_items(entries) if field == "items" else entries
        schema = _retrieve_schema(ctx.spec, child)
        for position, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            child_key = ctx.new_id(_prefix(ctx.spec, child))
            hints = {**params, **entry, "id": child_key, "created_at": ctx.now()}
            obj = synthesizer(ctx.spec).value(schema, hints, seed=f"{child_key}:{position}", now=ctx.now())
            _save(ctx, child_shape, child_key, obj, params)


def _as_items(entries: list[Any]) -> list[Any]:
    """Conversation-style items: string message content becomes the content parts the schema wants."""
    items = input_items(entries)
    for item in items:
        if item.get("type") == "message" and item.get("role") == "assistant":
            item["content"] = [
                {**part, "type": "output_text", "annotations": [], "logprobs": []}
                if part.get("type") == "input_text"
                else part
                for part in item.get("content") or []
            ]
        if item.get("type") == "message":
            item.setdefault("status", "completed")
    return items


async def _list(ctx: Context, shape: Shape) -> Response:
    assert shape.collection is not None
    parent = _parent_key(shape, ctx)
    kind = kind_of(shape.collection)
    if not shape.creatable:
        _seed(ctx, shape, parent)
    records = ctx.store.list(kind, parent=parent)
    status, schema = success_schema(ctx.operation)
    each = item_schema(ctx.spec, schema) if schema is not None else None
    synth = synthesizer(ctx.spec)
    if ctx.operation.paginated:
        envelope = ctx.paginate(records)
    else:
        envelope = {"object": "list", "data": records, "has_more": False}
    envelope["data"] = [
        synth.value(each, r["data"], seed=r["id"], now=ctx.now()) if each else r["data"]
        for r in envelope["data"]
    ]
    if schema is not None:
        envelope = _complete_envelope(ctx, schema, envelope)
    return ctx.json(envelope, status=status)


def _complete_envelope(ctx: Context, schema: Any, envelope: dict[str, Any]) -> dict[str, Any]:
    """Fill the envelope fields a list declares beyond the usual ones (`next` cursors, ...)."""
    synth = synthesizer(ctx.spec)
    merged = synth.merge(schema)
    props = schema_properties(ctx.spec.document, schema)
    data = envelope.get("data") or []
    if "next" in props and "next" not in envelope:
        envelope["next"] = data[-1].get("id") if envelope.get("has_more") and data else None
    for name in merged.get("required") or []:
        if name not in envelope and name in props:
            envelope[name] = synth.value(props[name], None, seed=name, now=ctx.now())
    for name in list(envelope):
        if name in props and not synth.is_valid(props[name], envelope[name]) and name != "data":
            if envelope[name] is None and name in ("first_id", "last_id"):
                continue  # the real API's null on an empty page, which the spec does not allow
            envelope[name] = synth.value(props[name], envelope[name], seed=name, now=ctx.now())
    return envelope


async def _retrieve(ctx: Context, shape: Shape) -> Response:
    record = _find(ctx, shape)
    # A role assignment is stored as `{object: group.role, group, role}` but read back as the role: its id
    # is the one in the path.
    return answer(ctx, {"id": record["id"], **record["data"]}, seed=record["id"])


async def _modify(ctx: Context, shape: Shape) -> Response:
    record = _find(ctx, shape)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    status, schema = success_schema(ctx.operation)
    merged = {**record["data"], **body, "updated_at": ctx.now()}
    verb = next((v for v in ACTION_STATUS if ctx.operation.id.lower().startswith(v)), None)
    new_status = _action_status(ctx, schema, verb) if verb else None  # e.g. cancelEvalRun
    if new_status is not None:
        merged["status"] = new_status
    obj = synthesizer(ctx.spec).value(schema, merged, seed=record["id"], now=ctx.now()) if schema else merged
    _save(ctx, shape, record["id"], obj)
    return ctx.json(obj, status=status) if schema is not None else _bytes_answer(ctx, status, None)


async def _delete(ctx: Context, shape: Shape) -> Response:
    record = _find(ctx, shape)
    kind = kind_of(shape.collection or "")
    ctx.store.delete(kind, record["id"])
    ctx.store.delete_blob(f"{kind}:{record['id']}")
    hints = {**record["data"], **ctx.path_params, "id": record["id"], "deleted": True}
    kind_name = hints.get("object")
    if isinstance(kind_name, str) and not kind_name.endswith(".deleted"):
        hints["object"] = f"{kind_name}.deleted"  # eval → eval.deleted, group.role → group.role.deleted
    status, schema = success_schema(ctx.operation)
    if schema is None:
        return Response(status_code=status)
    if "deleted" not in schema_properties(ctx.spec.document, schema):
        # Deleting a conversation item answers the conversation it was in, not a deletion record.
        parent = _parent_object(ctx, shape)
        if parent is not None:
            return ctx.json(synthesizer(ctx.spec).value(schema, parent, seed=record["id"], now=ctx.now()))
    return ctx.json(
        synthesizer(ctx.spec).value(schema, hints, seed=record["id"], now=ctx.now()), status=status
    )


async def _action(ctx: Context, shape: Shape) -> Response:
    record = _find(ctx, shape)
    status, schema = success_schema(ctx.operation)
    changes: dict[str, Any] = dict(ctx.body) if isinstance(ctx.body, dict) else {}
    new_status = _action_status(ctx, schema, shape.action or "")
    if new_status is not None:
        changes["status"] = new_status
    merged = {**record["data"], **changes}
    if schema is None:
        _save(ctx, shape, record["id"], merged)
        return Response(status_code=status)
    obj = synthesizer(ctx.spec).value(schema, merged, seed=record["id"], now=ctx.now())
    if _same_kind(record["data"], obj):
        _save(ctx, shape, record["id"], obj)
    return ctx.json(obj, status=status)


async def _content(ctx: Context, shape: Shape) -> Response:
    record = _find(ctx, shape)
    status, schema = success_schema(ctx.operation)
    blob = ctx.store.get_blob(f"{kind_of(shape.collection or '')}:{record['id']}")
    return _bytes_answer(ctx, status, blob)


async def _singleton(ctx: Context, shape: Shape) -> Response:
    kind = f"generic-singleton:{shape.collection}"
    key = "/".join(ctx.path_params.values()) or "_"
    stored = ctx.store.get(kind, key)
    data = stored["data"] if stored else {}
    status, schema = success_schema(ctx.operation)
    if ctx.operation.method == "DELETE":
        ctx.store.delete(kind, key)
        return answer(ctx, {**data, **ctx.path_params, "deleted": True}, seed=key)
    if ctx.operation.method == "POST":
        data = {**data, **_hints(ctx)}
    obj = (
        synthesizer(ctx.spec).value(schema, {**ctx.path_params, **data}, seed=key, now=ctx.now())
        if schema
        else data
    )
    ctx.store.put(kind, {"id": key, "data": obj})
    return ctx.json(obj, status=status) if schema is not None else _bytes_answer(ctx, status, None)


async def _other(ctx: Context, shape: Shape) -> Response:
    return answer(ctx, _hints(ctx), seed=ctx.operation.id)


# -- helpers ---------------------------------------------------------------------------------------------


def find_object(ctx: Context, collection: str, key: str) -> dict[str, Any] | None:
    """An object a generic collection holds (e.g. `find_object(ctx, "/conversations", id)`), or None."""
    record = ctx.store.get(kind_of(collection), key)
    return None if record is None else record["data"]


def add_object(ctx: Context, collection: str, params: dict[str, str], obj: dict[str, Any]) -> None:
    """Put an object (with an `id`) into a generic collection, e.g. a conversation's items."""
    names = re.findall(r"\{([^}]+)\}", collection)
    shape = Shape("create", collection, _paths(ctx.spec)["items"].get(collection), creatable=True)
    _save(ctx, shape, str(obj["id"]), obj, {n: params[n] for n in names})


def _build(ctx: Context, shape: Shape, schema: Any, key: str, hints: dict[str, Any]) -> dict[str, Any]:
    hints = {"id": key, "created_at": ctx.now(), "created": ctx.now(), **hints}
    hints["id"] = key
    if schema is None:
        return hints
    return synthesizer(ctx.spec).value(schema, hints, seed=key, now=ctx.now())


def _save(ctx: Context, shape: Shape, key: str, obj: Any, params: dict[str, str] | None = None) -> None:
    kind = kind_of(shape.collection or "")
    parent = _parent_key(shape, ctx, params)
    stored = ctx.store.get(kind, key)
    created = stored["created_at"] if stored else ctx.now()
    ctx.store.put(kind, {"id": key, "created_at": created, "data": obj}, parent=parent)


def _new_key(ctx: Context, shape: Shape, body: dict[str, Any]) -> str:
    param = shape.item_param or "id"
    given = body.get(param)
    if isinstance(given, str) and given:
        return given
    if not param.endswith("id"):  # e.g. skill `{version}`: numbered
        return str(ctx.store.count(kind_of(shape.collection or ""), _parent_key(shape, ctx)) + 1)
    return ctx.new_id(_prefix(ctx.spec, shape.collection or ""))


def _find(ctx: Context, shape: Shape) -> dict[str, Any]:
    """The stored record of the item the path names; 404, or materialised for collections without create."""
    kind = kind_of(shape.collection or "")
    key = ctx.path_params.get(shape.item_param or "", "")
    parent = _parent_key(shape, ctx)
    if not shape.creatable:
        _seed(ctx, shape, parent)
    record = ctx.store.get(kind, key, parent=parent)
    if record is not None:
        return _progress(ctx, shape, record)
    ctx.not_found(_noun(shape.collection or ""), key, param=shape.item_param)


def _progress(ctx: Context, shape: Shape, record: dict[str, Any]) -> dict[str, Any]:
    """Asynchronous objects (videos, eval runs, ...) move queued → in_progress → completed, one state per
    `run_delay` seconds (0: the next read completes them), like runs and batches."""
    data = record["data"]
    status = data.get("status") if isinstance(data, dict) else None
    if status not in LIFECYCLE[:-1]:
        return record
    since = record.get("since", record["created_at"])
    delay = ctx.settings.run_delay
    changed = False
    while status in LIFECYCLE[:-1] and ctx.now() - since >= delay:
        status = LIFECYCLE[LIFECYCLE.index(status) + 1]
        since = since + delay if delay else ctx.now()
        changed = True
    if not changed:
        return record
    schema = _retrieve_schema(ctx.spec, shape.collection or "")
    hints = {**data, "status": status}
    if status == "completed":
        hints.update(completed_at=ctx.now(), progress=100)
    obj = synthesizer(ctx.spec).value(schema, hints, seed=record["id"], now=ctx.now()) if schema else hints
    if isinstance(obj, dict) and obj.get("status") != status:
        return record  # the schema has no such state: the object stays as it is
    record = {**record, "data": obj, "since": since}
    ctx.store.put(
        kind_of(shape.collection or ""),
        record,
        parent=ctx.store.parent_of(kind_of(shape.collection or ""), record["id"]),
    )
    return record


def _check_ancestors(ctx: Context, shape: Shape) -> None:
    """Every item the path passes through must exist: a nested resource under an unknown parent is a 404
    naming the parent, as the real API answers. `/projects/{project_id}/roles` has no item path of its own
    for the project; the spec path that ends like it (`/organization/projects/{project_id}`) stands in.
    Parents other modules own are theirs to check."""
    parts = ctx.operation.path.strip("/").split("/")
    own = shape.role in ("retrieve", "modify", "delete", "action", "content")
    for index in range(1, len(parts)):
        if not _PARAM.match(parts[index]) or _PARAM.match(parts[index - 1]):
            continue
        item = "/" + "/".join(parts[: index + 1])
        if own and item == f"{shape.collection}/{{{shape.item_param}}}":
            continue  # the operation's own item: its handler answers the 404
        parent = _item_getter(ctx.spec, item)
        if parent is not None and lookup(parent.id) is None:
            _find(ctx, shape_of(ctx.spec, parent.id))


def _parent_object(ctx: Context, shape: Shape) -> dict[str, Any] | None:
    """The stored object of the item a nested collection hangs under, when this module keeps it."""
    parts = (shape.collection or "").strip("/").split("/")
    if len(parts) < 2 or not _PARAM.match(parts[-2]):
        return None
    parent = _item_getter(ctx.spec, "/" + "/".join(parts[:-1]))
    if parent is None:
        return None
    parent_shape = shape_of(ctx.spec, parent.id)
    record = ctx.store.get(
        kind_of(parent_shape.collection or ""),
        ctx.path_params.get(parent_shape.item_param or "", ""),
        parent=_parent_key(parent_shape, ctx),
    )
    return None if record is None else record["data"]


def _linked(ctx: Context, schema: Any, hints: dict[str, Any]) -> dict[str, Any]:
    """A created object that embeds the objects it links (`group`, `role` of a role assignment) names
    them by the ids the request gave (`group_id` in the path, `role_id` in the body)."""
    for name in schema_properties(ctx.spec.document, schema):
        linked = hints.get(f"{name}_id")
        if name not in hints and isinstance(linked, str):
            hints[name] = {"id": linked}
    return hints


def _item_getter(spec: Spec, item: str) -> Any:
    """The GET of an item path, else of the shortest spec path that ends with it; None when there is none."""

    def find() -> Any:
        getters = [
            op for op in spec.operations if op.method == "GET" and _PARAM.match(op.path.split("/")[-1])
        ]
        fitting = [op for op in getters if op.path == item or op.path.endswith(item)]
        fitting = [op for op in fitting if shape_of(spec, op.id).role == "retrieve"]
        return min(fitting, key=lambda op: len(op.path), default=None)

    return _memoised(spec, "getter", item, find)


def _materialise(
    ctx: Context, shape: Shape, key: str, parent: str | None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    schema = _retrieve_schema(ctx.spec, shape.collection or "")
    obj = _build(ctx, shape, schema, key, {**(extra or {}), **ctx.path_params, shape.item_param or "id": key})
    _save(ctx, shape, key, obj)
    found = ctx.store.get(kind_of(shape.collection or ""), key)
    assert found is not None
    return found


def _seed(ctx: Context, shape: Shape, parent: str | None) -> None:
    """Collections the API offers no create for hold `SEEDS` objects from the start (an organization
    has users, a project has API keys), made on first use; any other id is a 404."""
    marker = f"{kind_of(shape.collection or '')}|{parent}"
    if ctx.store.get("generic:seeded", marker) is not None:
        return
    ctx.store.put("generic:seeded", {"id": marker})
    for number in range(SEEDS):
        key = _prefix(ctx.spec, shape.collection or "") + _digest(marker, str(number))
        extra = {
            "name": f"Seeded {_noun(shape.collection or '')} {number + 1}",
            "email": f"user{number + 1}@example.com",
        }
        _materialise(ctx, shape, key, parent, extra)


def _retrieve_schema_uncached(spec: Spec, collection: str) -> Any:
    item = _paths(spec)["items"].get(collection)
    for op in spec.operations:
        if op.method == "GET" and op.path == f"{collection}/{{{item}}}":
            return success_schema(op)[1]
    for op in spec.operations:
        if op.method == "GET" and op.path == collection:
            return item_schema(spec, success_schema(op)[1])
    for op in spec.operations:
        if op.path.startswith(f"{collection}/{{{item}}}") and op.method == "POST":
            return success_schema(op)[1]
    return None


def _retrieve_schema(spec: Spec, collection: str) -> Any:
    return _memoised(spec, "retrieve", collection, lambda: _retrieve_schema_uncached(spec, collection))


def item_schema(spec: Spec, schema: Any) -> Any:
    props = schema_properties(spec.document, schema)
    data = synthesizer(spec).merge(props.get("data")) or {}
    return data.get("items") if isinstance(data, dict) else None


def _is_list(spec: Spec, schema: Any) -> bool:
    props = schema_properties(spec.document, schema)
    return "data" in props and "object" in props and item_schema(spec, schema) is not None


def _action_status(ctx: Context, schema: Any, action: str) -> str | None:
    wanted = ACTION_STATUS.get(action)
    if not wanted or schema is None:
        return None
    status = synthesizer(ctx.spec).merge(schema_properties(ctx.spec.document, schema).get("status"))
    allowed = _enum_values(ctx, status)
    for value in wanted:
        if not allowed or value in allowed:
            return value
    return None


def _enum_values(ctx: Context, schema: Any) -> set[Any]:
    synth = synthesizer(ctx.spec)
    schema = synth.merge(schema)
    if not isinstance(schema, dict):
        return set()
    values = set(schema.get("enum") or [])
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key) or []:
            values |= _enum_values(ctx, branch)
    return values


def _same_kind(before: Any, after: Any) -> bool:
    """An action's answer replaces the item only when it is the same object (not, say, a job)."""
    return (
        isinstance(before, dict) and isinstance(after, dict) and before.get("object") == after.get("object")
    )


def _noun(collection: str) -> str:
    segment = collection.rstrip("/").rsplit("/", 1)[-1]
    return segment[:-1] if segment.endswith("s") else segment


def _bytes_answer(ctx: Context, status: int, blob: bytes | None) -> Response:
    """A non-JSON 2xx: the stored bytes, or a tiny valid file of the declared media type."""
    declared = next(
        (r.content for s, r in ctx.operation.responses.items() if s.startswith("2") and r.content), {}
    )
    if blob is not None:
        return Response(blob, status_code=status, media_type="application/octet-stream")
    makers = {
        "video/mp4": media.mp4,
        "image/webp": media.webp,
        "image/png": media.png,
        "application/zip": media.zip_archive,
        "application/sdp": lambda: _SDP.encode(),
    }
    variant = ctx.query.get("variant")
    if variant == "thumbnail" and "image/webp" in declared:
        return Response(media.webp(), status_code=status, media_type="image/webp")
    for media_type in declared:
        if media_type in makers:
            return Response(makers[media_type](), status_code=status, media_type=media_type)
    if "application/json" in declared and declared["application/json"] is not None:
        value = synthesizer(ctx.spec).value(declared["application/json"], _hints(ctx), now=ctx.now())
        return ctx.json(value, status=status)
    return Response(b"", status_code=status)


_SDP = (
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n"
)
