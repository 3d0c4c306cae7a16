"""Model-based stateful tests: Hypothesis `RuleBasedStateMachine`s over the CRUD families.

Random sequences of create, retrieve, modify, list and delete run against the target while the
machine keeps a model of what must be there. Each answer is judged by the read-your-writes oracles
of `conformance.checks.crud` (`lifecycle.lost_update`, `lifecycle.round_trip`,
`lifecycle.use_after_delete`), the same the session's stateful phase uses; the model adds
`lifecycle.stale_list`: a list misses a live object or still shows a deleted one (with a fresh
parent, it must hold exactly the model's objects).

Violations are recorded, not raised, so a sequence goes on after a finding and Hypothesis never
shrinks against a live target (each example costs requests). Examples: the run's `--max-examples`
(at most 5), `STEPS` steps each, derandomized (the same sequences every run).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    rule,
    run_state_machine_as_test,
)

from conformance.checks import CHECKS, Finding
from conformance.checks import crud as oracle
from conformance.exchange import Exchange
from conformance.kinds import Severity
from conformance.runner.safety import TAG_KEY
from conformance.scenarios.flow import Abort, Flow
from conformance.scenarios.flows import MODEL
from conformance.scenarios.registry import register

TAG = (TAG_KEY,)  # the run's tag, which the session adds to every create and modify
STEPS = 8
MAX_EXAMPLES = 5
LIST_LIMIT = 100
LIST_PAGES = 5

metadata = st.dictionaries(
    st.sampled_from(["color", "size", "team", "stage"]),
    st.text(alphabet="abcxyz0123-", max_size=12),
    max_size=3,
)


@dataclass(frozen=True)
class Family:
    """One CRUD family: its operations and how to make a create/modify request from metadata."""

    name: str
    create: str
    retrieve: str
    delete: str
    modify: str | None = None
    lister: str | None = None
    parent: Callable[[Flow], dict[str, str]] | None = None
    body: Callable[[dict[str, str]], dict[str, Any]] = lambda meta: {"metadata": meta}
    file: bool = False  # multipart create with a file; judged on filename/bytes instead of metadata
    # Reads may lag writes on the real API (stored chat completions): a fresh object's 404 is retried
    # and list staleness is only a warning, except on the emulator.
    eventual: bool = False


def _thread(flow: Flow) -> dict[str, str]:
    return {"thread_id": str(flow.json(flow.call("createThread", body={}, created=True))["id"])}


def _file_content(meta: dict[str, str]) -> tuple[str, bytes]:
    digest = hashlib.sha256(repr(sorted(meta.items())).encode()).hexdigest()[:10]
    return f"machine-{digest}.txt", f"model-based test {digest}\n".encode()


FAMILIES = {
    "assistants": Family(
        "assistants",
        "createAssistant",
        "getAssistant",
        "deleteAssistant",
        "modifyAssistant",
        "listAssistants",
        body=lambda meta: {"model": MODEL, "metadata": meta},
    ),
    "threads": Family("threads", "createThread", "getThread", "deleteThread", "modifyThread"),
    "messages": Family(
        "messages",
        "createMessage",
        "getMessage",
        "deleteMessage",
        "modifyMessage",
        "listMessages",
        parent=_thread,
        body=lambda meta: {"role": "user", "content": "model-based test", "metadata": meta},
    ),
    "vector-stores": Family(
        "vector-stores",
        "createVectorStore",
        "getVectorStore",
        "deleteVectorStore",
        "modifyVectorStore",
        "listVectorStores",
        body=lambda meta: {"name": "model-based test", "metadata": meta},
    ),
    "files": Family(
        "files",
        "createFile",
        "retrieveFile",
        "deleteFile",
        None,
        "listFiles",
        body=lambda meta: {"purpose": "assistants"},
        file=True,
    ),
    "chat-completions": Family(
        "chat-completions",
        "createChatCompletion",
        "getChatCompletion",
        "deleteChatCompletion",
        "updateChatCompletion",
        "listChatCompletions",
        body=lambda meta: {
            "model": MODEL,
            "messages": [{"role": "user", "content": "Say hi."}],
            "store": True,
            "metadata": meta,
        },
        eventual=True,
    ),
}
# The operation each machine's result is filed under.
FILED_UNDER = {
    "assistants": "modifyAssistant",
    "threads": "modifyThread",
    "messages": "modifyMessage",
    "vector-stores": "modifyVectorStore",
    "files": "deleteFile",
    "chat-completions": "updateChatCompletion",
}


def _violation(
    check_id: str,
    exchange: Exchange,
    message: str,
    expected: Any,
    got: Any,
    path: str = "$",
    severity: Severity | None = None,
) -> Any:
    return CHECKS[check_id].violation(Finding(message, expected, got, path, severity), exchange)


def machine_for(flow: Flow, family: Family) -> type[RuleBasedStateMachine]:
    """A state machine class bound to one flow (target, oracle, findings) and family."""
    id_param = flow.operation(family.retrieve).path.rsplit("{", 1)[-1].rstrip("}")
    lagging = family.eventual and not flow.session.config.is_emulator
    list_severity: Severity | None = "warning" if lagging else None

    class CrudMachine(RuleBasedStateMachine):
        live = Bundle("live")
        deleted_ids = Bundle("deleted_ids")

        def __init__(self) -> None:
            super().__init__()
            self.model: dict[str, dict[str, Any]] = {}  # id -> the fields a read must show
            self.deleted: set[str] = set()
            self.parent: dict[str, str] = {}

        @initialize(target=live, meta=metadata)
        def start(self, meta: dict[str, str]) -> str:
            """A fresh parent (when the family has one) and a first object, in every example."""
            self.parent = family.parent(flow) if family.parent is not None else {}
            return self.create(meta)  # type: ignore[return-value]  # the undecorated rule returns the id

        def teardown(self) -> None:
            """Every example ends deleting its oldest live object and listing: so the delete and list
            contracts are judged whatever rules the example drew. Never raises (a rule may have)."""
            try:
                if self.model:
                    self.remove(sorted(self.model)[0])
                self.listing()
            except Exception:  # noqa: BLE001 - the example's own exception is what matters
                return

        def params(self, object_id: str) -> dict[str, str]:
            return {**self.parent, id_param: object_id}

        def expected(self, meta: dict[str, str]) -> dict[str, Any]:
            if family.file:
                name, content = _file_content(meta)
                return {"filename": name, "bytes": len(content)}
            return {"metadata": dict(meta)}

        @rule(target=live, meta=metadata)
        def create(self, meta: dict[str, str]) -> str:
            files = None
            if family.file:
                name, content = _file_content(meta)
                files = {"file": (name, content, "text/plain")}
            exchange = flow.call(
                family.create, self.parent, body=family.body(meta), files=files, created=True
            )
            obj = flow.json(exchange)
            want = self.expected(meta)
            flow.add(oracle.echo(exchange, want, what=f"{family.create} answer", ignore=TAG, present=False))
            self.model[obj["id"]] = want
            self.read(str(obj["id"]))
            return str(obj["id"])

        def read(self, object_id: str) -> None:
            """Read an object back: it must show what the model holds (read-your-writes)."""
            exchange = flow.call(family.retrieve, self.params(object_id), expect=None)
            for _ in range(5 if lagging else 0):
                if exchange.response.status != 404:
                    break
                time.sleep(max(flow.polling.interval, 0.5))
                exchange = flow.call(family.retrieve, self.params(object_id), expect=None)
            want = self.model[object_id]
            flow.add(oracle.read_back(exchange, object_id, want, what=family.retrieve, ignore=TAG))
            if exchange.response.status == 200:
                obj = flow.json(exchange)
                self.model[object_id] = {k: oracle.without(obj.get(k), TAG) for k in want}

        def gone(self, object_id: str, operation: str) -> None:
            """A deleted object answers 404."""
            exchange = flow.call(operation, self.params(object_id), expect=None)
            flow.add(oracle.gone(exchange, what=operation))

        @rule(object_id=live)
        def retrieve(self, object_id: str) -> None:
            if object_id not in self.deleted:
                self.read(object_id)

        @rule(object_id=live, meta=metadata)
        def modify(self, object_id: str, meta: dict[str, str]) -> None:
            if family.modify is None or family.file or object_id in self.deleted:
                return
            exchange = flow.call(family.modify, self.params(object_id), body={"metadata": meta})
            flow.json(exchange)  # the flow needs an object answer
            flow.add(oracle.echo(exchange, {"metadata": meta}, what=f"{family.modify} answer", ignore=TAG))
            self.model[object_id] = {"metadata": dict(meta)}
            self.read(object_id)

        @rule(object_id=consumes(live), target=deleted_ids)
        def delete(self, object_id: str) -> str:
            self.remove(object_id)
            return object_id

        def remove(self, object_id: str) -> None:
            if object_id in self.deleted:
                return
            exchange = flow.call(family.delete, self.params(object_id), expect=None)
            refused = oracle.deleted(exchange, what=family.delete)
            flow.add(refused)
            if not refused:
                self.model.pop(object_id, None)
                self.deleted.add(object_id)
                self.gone(object_id, family.retrieve)

        @rule(object_id=deleted_ids, again=st.booleans())
        def use_after_delete(self, object_id: str, again: bool) -> None:
            if object_id in self.deleted:
                self.gone(object_id, family.delete if again else family.retrieve)

        @rule()
        def listing(self) -> None:
            if family.lister is None:
                return
            seen: dict[str, dict[str, Any]] = {}
            query: dict[str, Any] = {"limit": LIST_LIMIT, "order": "desc"}
            if "order" not in {p.name for p in flow.operation(family.lister).parameters}:
                query.pop("order")
            exchange = None
            for _ in range(LIST_PAGES):
                exchange = flow.call(family.lister, self.parent, query=dict(query))
                body = flow.json(exchange)
                data = [item for item in body.get("data") or [] if isinstance(item, dict)]
                seen.update({str(item.get("id")): item for item in data})
                if body.get("has_more") is not True or not data or set(self.model) <= set(seen):
                    break
                query["after"] = data[-1].get("id")
            assert exchange is not None
            missing = sorted(set(self.model) - set(seen))
            if missing:
                message = f"{family.lister} misses {len(missing)} live object(s)"
                stale_list = _violation(
                    "lifecycle.stale_list",
                    exchange,
                    message,
                    sorted(self.model),
                    missing,
                    severity=list_severity,
                )
                flow.add([stale_list])
            stale = sorted(self.deleted & set(seen))
            if stale:
                message = f"{family.lister} still shows {len(stale)} deleted object(s)"
                flow.add(
                    [
                        _violation(
                            "lifecycle.stale_list", exchange, message, "absent", stale, severity=list_severity
                        )
                    ]
                )
            if family.parent is not None:
                extra = sorted(set(seen) - set(self.model) - self.deleted)
                if extra:
                    message = f"{family.lister} of a fresh parent lists objects nobody created"
                    flow.add(
                        [_violation("lifecycle.stale_list", exchange, message, sorted(self.model), extra)]
                    )
            for object_id, want in self.model.items():
                if object_id in seen:
                    what = f"{family.lister} item"
                    flow.add(oracle.listed(exchange, seen[object_id], want, what=what, ignore=TAG))

    CrudMachine.__name__ = f"CrudMachine[{family.name}]"
    return CrudMachine


def run_machine(session: Any, phase: Any, family: Family) -> None:
    examples = max(1, min(session.config.max_examples, MAX_EXAMPLES))
    with Flow(session, phase, cost=examples * (STEPS * (LIST_PAGES + 1) + 4) + 10) as flow:
        for operation_id in (family.create, family.retrieve, family.delete, family.modify, family.lister):
            if operation_id is not None:
                flow.operation(operation_id)  # Skip when the spec lacks one
        machine = machine_for(flow, family)
        machine.TestCase.settings = settings(  # type: ignore[attr-defined]
            max_examples=examples,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            derandomize=True,  # the same sequences every run: a live target pays for each
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
            print_blob=False,
        )
        try:
            run_state_machine_as_test(machine, settings=machine.TestCase.settings)  # type: ignore[attr-defined]
        except Exception:
            if flow.aborted is not None:  # Hypothesis may wrap it (e.g. as flaky when the replay differs)
                raise Abort(flow.aborted) from None
            raise


def _scenario(family: Family) -> Callable[[Any, Any], None]:
    def run(session: Any, phase: Any) -> None:
        run_machine(session, phase, family)

    run.__doc__ = f"Model-based CRUD sequences over {family.name} (create, retrieve, modify, list, delete)."
    return run


for _name, _family in FAMILIES.items():
    register(f"crud-{_name}", FILED_UNDER[_name])(_scenario(_family))
