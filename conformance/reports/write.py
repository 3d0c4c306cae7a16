"""Write every report of a run into `<report dir>/<run id>/` and point `<report dir>/latest` at it."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from conformance.errors import ConformanceError
from conformance.redact import redact, redact_text, secret_values
from conformance.reports import html, jsonfile, junit, summary
from conformance.results import RunResults

LATEST = "latest"
DEFAULT_REPORT_DIR = "reports"  # also the default --report-dir of `run`
REPORT_FILES = ("results.json", "junit.xml", "summary.md", "report.html")


def write_reports(
    results: RunResults,
    report_dir: str | Path = DEFAULT_REPORT_DIR,
    *,
    secret_env: Iterable[str] = (),
    secrets: Iterable[str] = (),
    latest: bool = True,
) -> Path:
    """Write results.json, junit.xml, summary.md and report.html; returns the run's folder.

    `secret_env` names extra environment variables whose values are secrets (OPENAI_API_KEY and
    the organization/project variables always are); `secrets` adds literal values.
    """
    scrub = secret_values(secret_env, secrets)
    data = redact(results.to_dict(), scrub)
    clean = RunResults.from_dict(data)
    folder = Path(report_dir) / clean.run_id
    try:
        folder.mkdir(parents=True, exist_ok=True)
        outputs = {
            "results.json": jsonfile.render(data),
            "junit.xml": junit.render(clean),
            "summary.md": summary.render(clean),
            "report.html": html.render(clean),
        }
        for name, text in outputs.items():
            _write_atomic(folder / name, redact_text(text, scrub))
        if latest:
            point_latest(Path(report_dir), clean.run_id)
    except OSError as exc:
        raise ConformanceError(f"cannot write reports to {folder}: {exc.strerror or exc}") from None
    return folder


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def point_latest(report_dir: Path, run_id: str) -> Path:
    """`latest` as a relative symlink to the run folder; a pointer file holding the run id where
    symlinks are not possible (some Windows and CI file systems)."""
    link = report_dir / LATEST
    tmp = report_dir / f".{LATEST}.{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(run_id, tmp, target_is_directory=True)
        if link.is_dir() and not link.is_symlink():
            raise OSError("a real folder named latest is in the way")
        os.replace(tmp, link)  # atomic: readers never see a missing `latest`
    except (OSError, NotImplementedError):
        if tmp.is_symlink():
            tmp.unlink()
        if link.is_symlink():
            link.unlink()
        if not link.is_dir():
            link.write_text(run_id + "\n", encoding="utf-8")
    return link
