"""report.html, rendered by headless Chromium: the scorecard shows the right counts and filters work."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conformance.reports import matrix, write_reports
from tests.reports.report_fixtures import NOT_IMPLEMENTED, OPERATIONS, PLANTED, build_big_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FAMILIES = ("schema", "errors", "pagination", "lifecycle", "streaming", "http")
# The families the positive and negative phases check when the runner does not list them.
PHASE_FAMILIES = {"positive": {"schema", "http"}, "negative": {"errors", "http"}}


class Dom(HTMLParser):
    """The matrix rows, their cells, the `shown` line and anything that could load from the network."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.shown: dict[str, str] = {}
        self.details = 0
        self.groups: list[dict] = []
        self.curls = 0
        self.remote: list[str] = []
        self.by_check: list[str] = []
        self._in_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href"):
            if (a.get(key) or "").startswith(("http:", "https:", "//")):
                self.remote.append(f"<{tag} {key}={a[key]}>")
        if tag == "link":
            self.remote.append("<link>")
        classes = (a.get("class") or "").split()
        if tag == "tr" and "row" in classes:
            self.rows.append({"op": a["data-op"], "tag": a["data-tag"], "hidden": "hidden" in a, "cells": {}})
        elif tag == "td" and "cell" in classes and self.rows:
            self.rows[-1]["cells"][a["data-family"]] = a["data-outcome"]
        elif tag == "p" and a.get("id") == "shown":
            self.shown = {k: v or "" for k, v in a.items()}
        elif tag == "tr" and a.get("data-check"):
            self.by_check.append(a["data-check"])
        elif tag == "details" and "group" in classes:
            self.details += 1
            self.groups.append(
                {"op": a["data-op"], "tag": a["data-tag"], "kind": a["data-kind"], "hidden": "hidden" in a}
                | {"open": "open" in a, "count": int(a["data-count"]), "family": a["data-family"]}
            )
        elif tag == "pre":
            self._in_pre = True

    def handle_data(self, data: str) -> None:
        if self._in_pre and data.startswith("curl -sS -X "):
            self.curls += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_pre = False


def render(page: Path, tmp_path: Path, fragment: str = "") -> Dom:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); report.html not rendered")
    done = subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--dump-dom",
            page.as_uri() + fragment,
        ],
        capture_output=True,
        timeout=90,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = Dom()
    dom.feed(done.stdout)
    assert dom.shown.get("data-rows"), "the page script did not run"
    return dom


@pytest.fixture
def page(make_run, tmp_path) -> Path:
    return write_reports(make_run(), tmp_path / "reports") / "report.html"


def expected_cells(spec) -> dict[tuple[str, str], str]:
    """Each (operation, family) cell as the planted data implies it (the positive phase of a list
    operation also covers pagination)."""
    phases = {(op, ph) for op in OPERATIONS for ph in PHASE_FAMILIES} | {
        (p.operation_id, p.phase) for p in PLANTED
    }
    cells = {}
    for op in OPERATIONS:
        for family in FAMILIES:
            planted_here = {p.family for p in PLANTED if p.operation_id == op}
            covered = family in planted_here or any(
                family in PHASE_FAMILIES.get(ph, set()) for o, ph in phases if o == op
            )
            covered = covered or (family == "pagination" and spec.operation(op).paginated)
            if any(p.operation_id == op and p.family == family for p in PLANTED):
                cells[op, family] = "failed"
            elif not covered:
                cells[op, family] = "n/a"
            else:
                cells[op, family] = "not-implemented" if op in NOT_IMPLEMENTED else "passed"
    return cells


def test_the_matrix_shows_the_right_outcomes_and_counts(page, tmp_path, openai_spec):
    dom = render(page, tmp_path)
    assert dom.remote == []
    assert sorted(r["op"] for r in dom.rows) == sorted(OPERATIONS)
    got = {(r["op"], f): outcome for r in dom.rows for f, outcome in r["cells"].items() if f != "overall"}
    assert got == expected_cells(openai_spec)
    for family in FAMILIES:
        failing = {p.operation_id for p in PLANTED if p.family == family}
        assert sum(got[op, family] == "failed" for op in OPERATIONS) == len(failing)
    overall = {r["op"]: r["cells"]["overall"] for r in dom.rows}
    assert {op for op, o in overall.items() if o == "failed"} == {p.operation_id for p in PLANTED}
    assert [op for op, o in overall.items() if o == "not-implemented"] == list(NOT_IMPLEMENTED)
    assert all(not r["hidden"] for r in dom.rows)
    assert dom.shown["data-rows"] == str(len(OPERATIONS))
    assert dom.shown["data-failed"] == str(len({p.operation_id for p in PLANTED}))
    # one collapsed <details> per deviation: the two $.data[N].created_at findings are one
    assert dom.details == dom.curls == len(PLANTED) - 1
    assert not any(g["open"] for g in dom.groups) and sum(g["count"] for g in dom.groups) == len(PLANTED)
    assert sorted(dom.by_check) == sorted({p.check for p in PLANTED})


def test_rows_are_grouped_by_tag(page, tmp_path):
    dom = render(page, tmp_path)
    tags = [r["tag"] for r in dom.rows]
    assert tags == sorted(tags, key=str.lower)
    assert {r["tag"] for r in dom.rows if r["op"].endswith("Assistant") or r["op"] == "listAssistants"} == {
        "Assistants"
    }


@pytest.mark.parametrize(
    "fragment, visible",
    [
        ("#outcome=failed", {p.operation_id for p in PLANTED}),
        ("#tag=Assistants", {op for op in OPERATIONS if "Assistant" in op}),
        ("#family=streaming&outcome=failed", {"createChatCompletion"}),
        ("#outcome=not-implemented", set(NOT_IMPLEMENTED)),
        ("#q=/files", {"listFiles", "createFile"}),
    ],
)
def test_filters_from_the_url_fragment(page, tmp_path, fragment, visible):
    dom = render(page, tmp_path, fragment)
    assert {r["op"] for r in dom.rows if not r["hidden"]} == visible
    assert dom.shown["data-rows"] == str(len(visible))
    # the deviations follow the same filters
    family = fragment.partition("family=")[2].partition("&")[0]
    shown = [g for g in dom.groups if not g["hidden"]]
    assert {g["op"] for g in shown} <= visible
    assert {g["op"] for g in dom.groups if g["op"] in visible and (not family or g["family"] == family)} == {
        g["op"] for g in shown
    }
    assert dom.shown["data-groups"] == str(len(shown))


# Opens report.html in an iframe, sets the filters as a person would (input events), and writes what
# the page then shows (its URL fragment, the visible deviations, the page height) into the wrapper's DOM.
WRAPPER = """<!DOCTYPE html><html><body><pre id="out">pending</pre>
<iframe id="r" src="REPORT" style="width:1280px;height:900px"></iframe><script>
document.getElementById('r').addEventListener('load', function () {
  const w = this.contentWindow, d = w.document, fire = (el) => el.dispatchEvent(new Event('input'));
  const full = Number(d.getElementById('shown').dataset.height);
  const tag = d.getElementById('f-tag'); tag.value = 'TAG'; fire(tag);
  ['passed', 'skipped', 'not-implemented', 'error'].forEach((o) => {
    const box = d.getElementById('f-o-' + o); box.checked = false; fire(box); });
  const ops = Array.from(d.querySelectorAll('details.group:not([hidden])')).map((g) => g.dataset.op);
  document.getElementById('out').textContent = JSON.stringify({hash: w.location.hash, ops: ops,
    height: d.documentElement.scrollHeight, full: full});
});
</script></body></html>"""


def test_a_report_of_2000_findings_stays_readable_and_shares_its_filter(tmp_path, openai_spec, capsys):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); report.html not rendered")
    run = build_big_run(openai_spec)
    assert len(run.violations()) >= 2000
    page = write_reports(run, tmp_path / "reports") / "report.html"
    rows = {r.operation_id: r for r in matrix.build(run)}
    tag = "Assistants"
    wrapper = tmp_path / "wrapper.html"
    wrapper.write_text(WRAPPER.replace("REPORT", page.as_uri()).replace("TAG", tag))
    done = subprocess.run(
        [CHROMIUM, *FLAGS, "--allow-file-access-from-files", "--virtual-time-budget=5000"]
        + [f"--user-data-dir={tmp_path / 'chromium'}", "--dump-dom", wrapper.as_uri()],
        capture_output=True,
        timeout=90,
        text=True,
    )
    found = re.search(r'<pre id="out">(.*?)</pre>', done.stdout, re.S)
    assert found and found.group(1) != "pending", done.stderr[-2000:]
    seen = json.loads(unescape(found.group(1)))
    # only the deviations of failed operations tagged Assistants, 3 per operation; the URL says so
    wanted = sorted(op for op, row in rows.items() if row.tag == tag and row.outcome == "failed")
    assert wanted and sorted(set(seen["ops"])) == wanted and len(seen["ops"]) == 3 * len(wanted)
    assert seen["hash"] == f"#tag={tag}&outcome=failed"
    size = page.stat().st_size
    with capsys.disabled():
        print(
            f"\nreport.html benchmark: {len(run.violations())} findings, {size:,} bytes, "
            f"page height {seen['full']:,} px unfiltered, {seen['height']:,} px filtered by tag={tag}"
        )
    # collapsed groups: a few screens, not a million pixels; and a few hundred kB
    assert seen["full"] < 20_000 and size < 1_000_000
