"""OpenAI object ids: which prefix each path parameter carries, and strategies that draw them.

The spec types every id as a bare `string`, so a generic generator sends `"0"` or `"%C2%AF"` and the
target answers 404 before any handler runs. Real ids have a documented shape (`thread_…`, `file-…`);
this table is the one place that knows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from hypothesis import strategies as st

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class IdKind:
    """One kind of object id: `kind` names it in `State`, `prefix` starts every id of it."""

    kind: str
    prefix: str

    @property
    def shape(self) -> re.Pattern[str]:
        return re.compile(rf"^{re.escape(self.prefix)}[A-Za-z0-9_-]+$")

    def matches(self, value: object) -> bool:
        return isinstance(value, str) and bool(self.shape.match(value))


# (parameter or body field name, first path segment or "*") -> kind. First segment disambiguates
# names the API reuses: `run_id` is a thread run under /threads and an eval run under /evals.
_BY_NAME: dict[tuple[str, str], IdKind] = {
    ("assistant_id", "*"): IdKind("assistant", "asst_"),
    ("thread_id", "*"): IdKind("thread", "thread_"),
    ("thread_id", "chatkit"): IdKind("chatkit_thread", "cthr_"),
    ("message_id", "*"): IdKind("message", "msg_"),
    ("run_id", "*"): IdKind("run", "run_"),
    ("run_id", "evals"): IdKind("eval_run", "evalrun_"),
    ("step_id", "*"): IdKind("run_step", "step_"),
    ("vector_store_id", "*"): IdKind("vector_store", "vs_"),
    ("file_id", "*"): IdKind("file", "file-"),
    ("file_id", "containers"): IdKind("container_file", "cfile_"),
    ("batch_id", "*"): IdKind("batch", "batch_"),
    ("batch_id", "vector_stores"): IdKind("vector_store_file_batch", "vsfb_"),
    ("completion_id", "*"): IdKind("chat_completion", "chatcmpl-"),
    ("container_id", "*"): IdKind("container", "cntr_"),
    ("conversation_id", "*"): IdKind("conversation", "conv_"),
    ("eval_id", "*"): IdKind("eval", "eval_"),
    ("output_item_id", "*"): IdKind("eval_output_item", "outputitem_"),
    ("fine_tuning_job_id", "*"): IdKind("fine_tuning_job", "ftjob-"),
    ("permission_id", "*"): IdKind("fine_tuning_permission", "cp_"),
    ("response_id", "*"): IdKind("response", "resp_"),
    ("previous_response_id", "*"): IdKind("response", "resp_"),
    ("upload_id", "*"): IdKind("upload", "upload_"),
    ("video_id", "*"): IdKind("video", "video_"),
    ("session_id", "chatkit"): IdKind("chatkit_session", "cksess_"),
    ("project_id", "*"): IdKind("project", "proj_"),
    ("user_id", "organization"): IdKind("user", "user-"),
    ("user_id", "projects"): IdKind("user", "user-"),
    ("invite_id", "*"): IdKind("invite", "invite-"),
    ("service_account_id", "*"): IdKind("service_account", "svc_acct_"),
    ("api_key_id", "*"): IdKind("api_key", "key_"),
    ("key_id", "*"): IdKind("api_key", "key_"),
    ("certificate_id", "*"): IdKind("certificate", "cert_"),
    ("cert_id", "*"): IdKind("certificate", "cert_"),
}
# Body fields holding lists of ids.
_LIST_FIELDS = {"file_ids": "file_id", "vector_store_ids": "vector_store_id"}
KINDS: tuple[IdKind, ...] = tuple(dict.fromkeys(_BY_NAME.values()))


def area(path_template: str) -> str:
    """The first segment of a path template: `/threads/{thread_id}` -> `threads`."""
    return path_template.strip("/").split("/", 1)[0]


def kind_for(name: str, path_template: str = "") -> IdKind | None:
    """The id kind a parameter or body field named `name` holds on this path, if it has one."""
    return _BY_NAME.get((name, area(path_template))) or _BY_NAME.get((name, "*"))


def list_field_kind(name: str, path_template: str = "") -> IdKind | None:
    """The id kind of each element of a list-of-ids body field (`file_ids`)."""
    single = _LIST_FIELDS.get(name)
    return kind_for(single, path_template) if single else None


def kind_of_id(value: str, candidates: tuple[IdKind, ...] = KINDS) -> IdKind | None:
    """The kind an id belongs to, by its prefix (the longest matching prefix wins)."""
    best = None
    for kind in candidates:
        if kind.matches(value) and (best is None or len(kind.prefix) > len(best.prefix)):
            best = kind
    return best


def kind_named(name: str) -> IdKind | None:
    """A kind by its `State` name (`thread`) or by a parameter name (`thread_id`)."""
    for kind in KINDS:
        if kind.kind == name:
            return kind
    return kind_for(name)


@cache  # strategies are immutable; building one per draw would make Hypothesis re-validate it each time
def fake_ids(kind: IdKind) -> st.SearchStrategy[str]:
    """Ids of the right shape for objects that may not exist (a positive request still fits the spec)."""
    return st.text(_SUFFIX_ALPHABET, min_size=8, max_size=24).map(lambda suffix: kind.prefix + suffix)


@cache
def plain_ids() -> st.SearchStrategy[str]:
    """URL-safe identifiers for path parameters with no known prefix (`consent_id`, `version`)."""
    return st.text(_SUFFIX_ALPHABET + "_-", min_size=1, max_size=24)


def misshapen_ids(kind: IdKind) -> st.SearchStrategy[str]:
    """Path-safe values that are not ids of `kind`: a report can say 'sent a malformed thread id'."""
    candidates = ["not-an-id", "12345", kind.prefix.upper() + "abc", "x" + kind.prefix + "abc", "abc_def"]
    return st.sampled_from([c for c in candidates if not kind.matches(c)])
