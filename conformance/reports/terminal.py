"""What `run`, `fuzz`, `replay` and `proxy` print at the end: the deviations, worst first, and how to
reproduce the first few.

    openai-conformance: 3 deviations (14 findings) in 3 operations; known deviations ...: 40 (89 findings, not counted)
         9×  response.schema  createAssistant  $.object: "assistants" is not one of "assistant"
      ...
    reproductions of the first 10 (--show N for more; every one is in report.html):
    [1] response.schema createAssistant $.object: 9 findings (phases examples, positive; status 200)
        expected: "assistant"
        got: "assistants"
        curl -sS -X POST 'http://127.0.0.1:8080/v1/assistants' ...

Plain text only (no colour, no cursor movement), so a CI log reads the same as a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from conformance.redact import redact_text, secret_values
from conformance.reports import github
from conformance.reports.groups import Group, group_findings, headline, plural, reproduction, serve_command
from conformance.results import Auth, RunResults

DEFAULT_SHOW = 10  # reproductions printed (`--show N`)
MAX_LINES = 100  # deviations listed one line each; the reports list every one
LINE_WIDTH = 200
VALUE_CHARS = 300


def render(results: RunResults, show: int = DEFAULT_SHOW, *, prefix: str = "openai-conformance") -> str:
    """The deviations of a run as the terminal shows them (see the module docstring)."""
    groups = group_findings(results)
    counted = [g for g in groups if g.kind == "new"]
    lines = [f"{prefix}: {headline(groups)}"]
    lines += ["  " + g.line(LINE_WIDTH) for g in counted[:MAX_LINES]]
    if len(counted) > MAX_LINES:
        lines.append(f"  …and {len(counted) - MAX_LINES} more deviations (summary.md, report.html)")
    chosen = [g for g in counted if reproduction(g, results) is not None][: max(show, 0)]
    if chosen:
        more = "; --show N for more" if len(counted) > len(chosen) else ""
        lines.append(f"reproductions of the first {len(chosen)}{more} (every one is in report.html):")
        serve = serve_command(results)
        if serve:
            lines += [
                f"  first serve the same emulator (any non-empty ${Auth.of(results.options).env} works; objects"
                " the run created",
                "  are gone, so a request naming one of their ids answers 404):",
                f"    {serve} &",
            ]
        for number, group in enumerate(chosen, 1):
            lines += _reproduction(number, group, results)
    return "\n".join(lines) + "\n"


def _reproduction(number: int, group: Group, results: RunResults) -> list[str]:
    first = group.first
    where = f" {first.get('path')}" if first.get("path") else ""
    statuses = ", ".join(str(s) for s in group.statuses)
    facts = f"phases {', '.join(group.phases)}" + (f"; status {statuses}" if statuses else "")
    lines = [
        f"[{number}] {group.check} {group.operation_id}{where}: {plural(group.count, 'finding')} ({facts})",
        f"    {group.message}",
    ]
    for key in ("expected", "got"):
        if first.get(key) is not None:
            lines.append(f"    {key}: {_short(str(first[key]))}")
    made = reproduction(group, results) or {}
    lines += ["    " + line for line in made.get("curl", "").splitlines()]
    return lines


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def print_groups(
    results: RunResults,
    show: int = DEFAULT_SHOW,
    *,
    secret_env: Iterable[str] = (),
    prefix: str = "openai-conformance",
    file: TextIO | None = None,
    output_format: str = "text",
    report: Path | str | None = None,
) -> None:
    """Print `render` with every secret removed (the in-memory results may hold raw headers); with
    `output_format="github"` the `::error` annotations follow, naming `report` (the run's folder)."""
    text = render(results, show, prefix=prefix)
    if output_format == "github":
        text += github.render(results, file=_report_file(report))
    (file or sys.stdout).write(redact_text(text, secret_values(secret_env)))


def _report_file(folder: Path | str | None) -> str | None:
    """The run's report.html, relative to the working folder when it lies below it."""
    if folder is None:
        return None
    path = Path(folder) / "report.html"
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
