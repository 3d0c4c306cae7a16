"""Objects the run created: tracked so tests can act on them, and deleted at the end of the run.

An object counts as created by the run when a POST to a collection (`/threads/{thread_id}/messages`)
answers 2xx with an `id`, and the spec has an item path below it (`.../messages/{message_id}`). Its
clean-up is the item's DELETE, else its `cancel` action. Only these objects are ever deleted, and on
a real target a modifying request is only sent to paths whose ids all belong to the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from conformance.exchange import Exchange
from conformance.spec import Operation, Spec

_PARAM = re.compile(r"\{([^}]+)\}")
RUN_ITEM = "/threads/{thread_id}/runs/{run_id}"
FILE_ITEM = "/files/{file_id}"
# Actions after which an object takes no more changes (a cancelled or completed upload takes no parts).
ENDING_ACTIONS = ("cancel", "complete", "archive", "hangup", "reject")


def params_of(template: str) -> list[str]:
    return _PARAM.findall(template)


def fill(template: str, params: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: quote(str(params[m.group(1)]), safe=""), template)


def ends_object(operation: Operation) -> bool:
    """A POST of an ending action below an object (`/uploads/{upload_id}/complete`)."""
    segments = operation.path.rstrip("/").split("/")
    return operation.method == "POST" and segments[-1] in ENDING_ACTIONS and segments[-2].startswith("{")


def match_path(template: str, path: str) -> dict[str, str] | None:
    """The path parameters of a concrete path, or None when it does not fit the template."""
    # literal text escaped, each `{name}` a numbered group (names such as `deployment-id` are not group names)
    parts = _PARAM.split(template)
    pattern = "".join(re.escape(part) if i % 2 == 0 else "([^/]+)" for i, part in enumerate(parts))
    found = re.fullmatch(pattern, path.split("?")[0])
    if not found:
        return None
    return dict(zip(parts[1::2], found.groups(), strict=True))


@dataclass
class Created:
    id: str
    operation_id: str  # the operation that created it
    template: str  # the item template, e.g. /threads/{thread_id}/messages/{message_id}
    params: dict[str, str]  # its full path binding, its own id included
    object: str | None = None
    cleanup: Operation | None = None  # DELETE of the item, or its cancel action
    gone: bool = False
    borrowed: bool = False  # found by listing, not created: read it, never change or delete it
    stored: bool = True  # False when the request could have asked to store it and did not (`store`)

    @property
    def path(self) -> str:
        return fill(self.template, self.params)


@dataclass
class Resources:
    spec: Spec
    created: list[Created] = field(default_factory=list)

    def __post_init__(self) -> None:
        by_path: dict[tuple[str, str], Operation] = {(op.method, op.path): op for op in self.spec.operations}
        self.items: dict[str, str] = {}  # collection template -> item template
        self.creators: dict[str, Operation] = {}  # item template -> the POST that creates it
        self.listers: dict[str, Operation] = {}  # item template -> the GET that lists the collection
        self.cleanups: dict[str, Operation] = {}
        for (method, path), op in by_path.items():
            if not path.endswith("}"):
                continue
            collection = path.rsplit("/", 1)[0]
            self.items.setdefault(collection, path)
            if (creator := by_path.get(("POST", collection))) is not None:
                self.creators.setdefault(path, creator)
            if (lister := by_path.get(("GET", collection))) is not None:
                self.listers.setdefault(path, lister)
            if method == "DELETE":
                self.cleanups[path] = op
            elif (cancel := by_path.get(("POST", path + "/cancel"))) is not None:
                self.cleanups.setdefault(path, cancel)
        # An object with actions but no path of its own (an upload: /uploads/{upload_id}/cancel, no GET
        # /uploads/{upload_id}) is still made by the POST to its collection: track it under that item.
        self.virtual: set[str] = set()
        paths = {path for _, path in by_path}
        for path in sorted(paths):
            segments = path.split("/")
            for end in range(2, len(segments)):
                item = "/".join(segments[: end + 1])
                if not segments[end].startswith("{") or item in paths or item in self.creators:
                    continue
                collection = item.rsplit("/", 1)[0]
                if (creator := by_path.get(("POST", collection))) is None:
                    continue
                self.items.setdefault(collection, item)
                self.creators[item] = creator
                self.virtual.add(item)
                if (cancel := by_path.get(("POST", item + "/cancel"))) is not None:
                    self.cleanups.setdefault(item, cancel)

    # -- recording -------------------------------------------------------------------------------

    def record(self, exchange: Exchange, operation: Operation | None) -> Created | None:
        """Note an object the exchange created, or one it deleted."""
        response = exchange.response
        if operation is None or not 200 <= response.status < 300:
            return None
        if operation.method == "DELETE":
            self.forget(exchange.request.path)
            return None
        if operation.method != "POST" or not response.is_json:
            return None
        body = response.json()
        if ends_object(operation):
            self._spend(exchange.request.path.rsplit("/", 1)[0])
            return self._record_file_of(operation, body)
        if isinstance(body, dict) and body.get("object") == "list" and operation.path in self.items:
            made = [self._record_one(exchange, operation, one) for one in body.get("data") or []]
            return next(
                (obj for obj in reversed(made) if obj is not None), None
            )  # the items of a batch create
        if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not body["id"]:
            return None
        if operation.path not in self.items:
            return self._record_run_and_thread(operation, body)
        return self._record_one(exchange, operation, body)

    def _record_one(self, exchange: Exchange, operation: Operation, body: object) -> Created | None:
        if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not body["id"]:
            return None
        item = self.items[operation.path]
        params = dict(match_path(operation.path, exchange.request.path) or exchange.request.path_params)
        params = {k: str(v) for k, v in params.items()}
        params[params_of(item)[-1]] = body["id"]
        created = Created(body["id"], operation.id, item, params, body.get("object"), self.cleanups.get(item))
        store = self._body_properties(operation).get("store")
        if store is not None:  # chat completions are kept only with store=true; responses by default
            sent = exchange.request.body if isinstance(exchange.request.body, dict) else {}
            value = sent.get("store")
            created.stored = (self._default(store) if value is None else value) is True
        self.created.append(created)
        return created

    def _record_file_of(self, operation: Operation, body: object) -> Created | None:
        """A completed upload answers the file it made: track it, so the clean-up deletes it."""
        made = body.get("file") if isinstance(body, dict) else None
        if not isinstance(made, dict) or made.get("object") != "file" or not isinstance(made.get("id"), str):
            return None
        created = Created(made["id"], operation.id, FILE_ITEM, {"file_id": made["id"]}, "file")
        created.cleanup = self.cleanups.get(FILE_ITEM)
        self.created.append(created)
        return created

    def _record_run_and_thread(self, operation: Operation, body: dict) -> Created | None:
        """createThreadAndRun (POST /threads/runs) makes a thread and a run below it: track both, so the
        clean-up cancels the run and deletes the thread."""
        thread_id, thread_item, run_item = body.get("thread_id"), "/threads/{thread_id}", RUN_ITEM
        if (
            body.get("object") != "thread.run"
            or not isinstance(thread_id, str)
            or run_item not in self.cleanups
        ):
            return None
        thread = Created(thread_id, operation.id, thread_item, {"thread_id": thread_id}, "thread")
        thread.cleanup = self.cleanups.get(thread_item)
        self.created.append(thread)
        params = {"thread_id": thread_id, "run_id": body["id"]}
        run = Created(body["id"], operation.id, run_item, params, "thread.run", self.cleanups[run_item])
        self.created.append(run)
        return run

    def _body_properties(self, operation: Operation) -> dict:
        from conformance.runner.safety import body_properties

        return body_properties(self.spec, operation, "application/json")

    def _default(self, schema: object) -> object:
        schema = self.spec.resolve(schema) or {}
        if not isinstance(schema, dict):
            return None
        if "default" in schema:
            return schema["default"]
        for branch in [*(schema.get("anyOf") or []), *(schema.get("oneOf") or [])]:
            found = self._default(branch)
            if found is not None:
                return found
        return None

    def _spend(self, path: str) -> None:
        """An object an ending action reached (a cancelled upload, a completed one) is spent: later tests
        get a new one, and there is nothing left to clean up unless it is deleted (a cancelled response)."""
        for obj in self.live():
            if obj.path == path.split("?")[0] and (obj.cleanup is None or obj.cleanup.method != "DELETE"):
                obj.gone = True

    def forget(self, path: str) -> None:
        for obj in self.created:
            if obj.path == path.split("?")[0] or obj.path.startswith(path.split("?")[0] + "/"):
                obj.gone = True

    def add(self, created: Created) -> None:
        self.created.append(created)

    # -- lookups ---------------------------------------------------------------------------------

    def live(self) -> list[Created]:
        return [obj for obj in self.created if not obj.gone]

    def binding(self, template: str) -> dict[str, str] | None:
        """Path parameters for `template` taken from live objects the run created (the newest first)."""
        names = params_of(template)
        if not names:
            return {}
        segments = template.split("/")
        item = "/".join(segments[: segments.index("{" + names[-1] + "}") + 1])
        for obj in reversed(self.live()):
            if obj.template == item:
                return (
                    {name: obj.params[name] for name in names if name in obj.params}
                    if all(n in obj.params for n in names)
                    else None
                )
        return None

    def owns(
        self, path: str, template: str, *, borrowed: bool = False, deleted: bool = False, spare: str = ""
    ) -> bool:
        """True when every id in the path belongs to an object the run created (and still has).

        With `borrowed`, objects the run only found by listing count too (safe to read, not to change).
        With `deleted`, objects the run created and already deleted count too: changing them again (a
        use-after-delete probe) can only touch what was the run's own. `spare` names a parameter left
        out of the test (a negative request's misshapen id, which cannot name any object).
        """
        params = match_path(template, path)
        if params is None:
            return False
        params = {k: v for k, v in params.items() if k != spare}
        if not params:
            return True
        objects = self.created if deleted else self.live()
        ids = {obj.id for obj in objects if borrowed or not obj.borrowed}
        return all(value in ids for value in params.values())

    def stateful_creators(self) -> list[str]:
        """The creates whose objects have an item path to read back: the stateful phase's items."""
        return sorted({op.id for item, op in self.creators.items() if item not in self.virtual})

    def pending_cleanup(self) -> list[Created]:
        """What to delete at the end: live objects with a clean-up, the newest first (children before parents)."""
        return [obj for obj in reversed(self.live()) if obj.cleanup is not None and not obj.borrowed]
