"""State-aware ids: positive requests on nested paths use ids of objects that exist."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import strategies
from conformance.spec import Spec
from conformance.strategies.state import State

FAST = settings(max_examples=15, derandomize=True, database=None, deadline=None)


def test_add_infers_the_kind_from_the_prefix() -> None:
    state = State()
    state.add("thread_abc")
    state.add("run_id", "evalrun_1")  # `run_id` is shared by thread runs and eval runs
    state.add("file_id", "cfile_9")  # and `file_id` by files and container files
    state.add("consent_id", "vc_1")  # a parameter with no known prefix keeps its name
    assert state.ids("thread") == ("thread_abc",)
    assert state.ids("thread_id") == ("thread_abc",)
    assert state.ids("eval_run") == ("evalrun_1",)
    assert state.ids("container_file") == ("cfile_9",)
    assert state.ids("consent_id") == ("vc_1",)
    assert len(state) == 4


def test_an_id_of_unknown_shape_needs_a_name() -> None:
    with pytest.raises(ValueError, match="state.add"):
        State().add("abc123")


def test_remove_forgets_children() -> None:
    state = State()
    state.add("thread_a")
    state.add("msg_1", parents={"thread_id": "thread_a"})
    state.remove("thread_a")
    assert state.ids("thread") == () and state.ids("message") == ()


def test_positive_requests_use_state_ids(spec: Spec) -> None:
    state = State()
    state.add("thread_real1")
    state.add("thread_real2")
    op = spec.operation("listMessages")

    @FAST
    @given(strategies.requests(op, state=state, spec=spec))
    def run(request: strategies.Request) -> None:
        assert request.path_params["thread_id"] in ("thread_real1", "thread_real2")
        assert request.path == f"/threads/{request.path_params['thread_id']}/messages"

    run()


def test_ids_added_after_building_are_used(spec: Spec) -> None:
    state = State()
    strategy = strategies.requests("getThread", state=state, spec=spec)
    state.add("thread_late")  # the runner creates the thread after the strategy exists

    @FAST
    @given(strategy)
    def run(request: strategies.Request) -> None:
        assert request.path == "/threads/thread_late"

    run()


def test_nested_ids_stay_consistent_with_their_parents(spec: Spec) -> None:
    state = State()
    state.add("thread_a")
    state.add("thread_b")
    state.add("msg_a1", parents={"thread_id": "thread_a"})
    state.add("msg_b1", parents={"thread_id": "thread_b"})
    parent = {"msg_a1": "thread_a", "msg_b1": "thread_b"}

    @FAST
    @given(strategies.requests("getMessage", state=state, spec=spec))
    def run(request: strategies.Request) -> None:
        params = request.path_params
        assert params["thread_id"] == parent[params["message_id"]]

    run()


def test_without_state_ids_have_the_documented_shape(spec: Spec) -> None:
    op = spec.operation("getRun")

    @FAST
    @given(strategies.requests(op, spec=spec))
    def run(request: strategies.Request) -> None:
        assert request.path_params["thread_id"].startswith("thread_")
        assert request.path_params["run_id"].startswith("run_")

    run()


def test_body_references_use_state_ids(spec: Spec) -> None:
    state = State()
    state.add("asst_existing")
    seen: set[str] = set()

    @settings(max_examples=40, derandomize=True, database=None, deadline=None)
    @given(strategies.requests("createRun", state=state, spec=spec))
    def run(request: strategies.Request) -> None:
        if isinstance(request.body, dict):
            seen.add(request.body.get("assistant_id"))

    run()
    assert seen == {"asst_existing"}


@settings(max_examples=50, derandomize=True, database=None)
@given(st.data())
def test_fake_ids_match_their_kind_and_misshapen_ones_do_not(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(strategies.ids.KINDS))
    assert kind.matches(data.draw(strategies.ids.fake_ids(kind)))
    assert not kind.matches(data.draw(strategies.ids.misshapen_ids(kind)))
