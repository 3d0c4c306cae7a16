"""GitHub Actions annotations: one `::error` workflow command per deviation, worst first, so a pull
request shows what broke next to the job (`--format github`, automatic under `GITHUB_ACTIONS=true`).

    ::error file=reports/20261122T012000Z-3f9a1c/report.html,title=response.schema createAssistant (9×)::...
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from conformance.reports.groups import group_findings
from conformance.results import RunResults

FORMATS = ("text", "github")
MAX_ANNOTATIONS = 100  # the reports list every deviation; GitHub shows only the first few per step anyway


def default_format(environ: Mapping[str, str] | None = None) -> str:
    """github inside a GitHub Actions job, else text."""
    environ = os.environ if environ is None else environ
    return "github" if environ.get("GITHUB_ACTIONS", "").lower() == "true" else "text"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, *, file: str | None = None, title: str | None = None) -> str:
    """One workflow command line, its values escaped as the runner expects."""
    props = [f"{key}={_property(value)}" for key, value in (("file", file), ("title", title)) if value]
    return f"::{level}{' ' + ','.join(props) if props else ''}::{_data(message)}"


def render(results: RunResults, file: str | None = None) -> str:
    """`::error` per new deviation (accepted and known ones are not annotated), worst first."""
    lines = []
    for group in [g for g in group_findings(results) if g.kind == "new"][:MAX_ANNOTATIONS]:
        first = group.first
        where = f" at {group.path}" if group.path else ""
        message = f"{group.message}{where} ({', '.join(group.phases)})"
        for key in ("expected", "got"):
            if first.get(key) is not None:
                message += f"\n{key}: {' '.join(str(first[key]).split())[:300]}"
        title = f"{group.check} {group.operation_id} ({group.count}×)"
        lines.append(command("error", message, file=file, title=title))
    return "".join(line + "\n" for line in lines)
