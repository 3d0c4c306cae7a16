"""report.html: one self-contained page (inline CSS and JS, no network) with the scorecard matrix
of operations by contract family, grouped by tag, with filters, and every deviation (`reports.groups`)
as one collapsed `<details>` with its count, first occurrence and reproduction; known deviations of the
real API and baseline-accepted findings in sections apart; for a replay, the recorded evidence (formats,
other hosts, filtered headers, dates). It reads well without JavaScript; the script only filters.

The filters apply to the matrix and to the deviations, and live in the URL fragment, e.g.
`report.html#tag=Chat&outcome=failed&q=completion`: a filtered view can be shared.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from conformance.kinds import OUTCOMES
from conformance.reports import matrix
from conformance.reports.groups import Group, group_findings, headline, reproduction
from conformance.reports.recordings import provenance_lines
from conformance.results import RunResults, is_new

SECTIONS = (
    ("new", "Deviations"),
    ("accepted", "Accepted by the baseline"),
    ("known", "Known deviations of the real API (not counted)"),
)
_LABEL = {
    "passed": "✓",
    "failed": "✗",
    "not-implemented": "NI",
    "error": "ERR",
    "skipped": "skip",
    matrix.NOT_APPLICABLE: "–",
}
_VERDICT = {
    0: ("pass", "PASS"),
    1: ("fail", "FAIL"),
    2: ("error", "USAGE ERROR"),
    3: ("error", "UNREACHABLE"),
}
_VERDICT[4] = ("error", "BUDGET SPENT")
_VERDICT[5] = ("error", "SUITE ERROR")

CSS = """
:root { --passed:#2e9d4f; --failed:#d63b3b; --ni:#8a7bb8; --error:#e08a1e; --skipped:#b9bec6; --na:#f4f5f7; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2330; }
header { padding: 16px 24px; background: #1d2330; color: #fff; }
header h1 { margin: 0 0 4px; font-size: 20px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; font-weight: 700; margin-right: 8px; }
.verdict.pass { background: var(--passed); } .verdict.fail { background: var(--failed); }
.verdict.error { background: var(--error); }
main { padding: 16px 24px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 0; }
dl.meta dt { opacity: .7; } dl.meta dd { margin: 0; font-family: ui-monospace, monospace; }
table { border-collapse: collapse; }
#totals td, #totals th, #by-check td, #by-check th {
  padding: 3px 10px; border: 1px solid #dde1e6; text-align: right; }
#totals th:first-child, #by-check td:first-child, #by-check th:first-child { text-align: left; }
.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 16px 0 8px;
  padding: 8px 12px; background: #f4f5f7; border-radius: 6px; }
.filters label { white-space: nowrap; }
#matrix { width: 100%; }
#matrix th, #matrix td { border: 1px solid #dde1e6; padding: 3px 8px; }
#matrix thead th { position: sticky; top: 0; background: #fff; z-index: 1; }
#matrix tr.tag th { text-align: left; background: #e9ecf1; font-size: 15px; }
#matrix td.op { font-family: ui-monospace, monospace; font-size: 12.5px; }
#matrix td.op .method { display: inline-block; width: 4.2em; font-weight: 700; }
#matrix td.cell { text-align: center; min-width: 5.5em; font-weight: 600; color: #fff; }
td.o-passed { background: var(--passed); } td.o-failed { background: var(--failed); }
td.o-not-implemented { background: var(--ni); } td.o-error { background: var(--error); }
td.o-skipped { background: var(--skipped); } td.o-n\\/a { background: var(--na); color: #9aa1ab !important; }
td.cell .acc { font-weight: 400; font-size: 11px; opacity: .9; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 4px; color: #fff; border-radius: 3px; }
section.violations { margin-top: 28px; }
section.op { border-top: 1px solid #dde1e6; padding: 8px 0; }
details { margin: 6px 0 6px 12px; }
details summary { cursor: pointer; }
details.kind-accepted summary, details.kind-known summary { opacity: .75; }
details .count { display: inline-block; min-width: 3.5em; text-align: right; font-weight: 700; }
.sev-error { color: var(--failed); font-weight: 700; } .sev-warning { color: var(--error); font-weight: 700; }
pre { background: #f4f5f7; padding: 8px; overflow-x: auto; max-height: 24em; margin: 4px 0; font-size: 12px; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
.kv > div:nth-child(odd) { opacity: .7; }
button.copy { font-size: 11px; }
"""

JS = """
(function () {
  const $ = (s) => document.querySelector(s), $$ = (s) => Array.from(document.querySelectorAll(s));
  const outcomes = OUTCOMES;
  function readHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    if (params.has('tag')) $('#f-tag').value = params.get('tag');
    if (params.has('q')) $('#f-q').value = params.get('q');
    if (params.has('family')) $('#f-family').value = params.get('family');
    if (params.has('outcome')) {
      const wanted = params.get('outcome').split(',');
      outcomes.forEach((o) => { $('#f-o-' + o).checked = wanted.includes(o); });
    }
  }
  function writeHash(tag, q, family, allowed) {
    const params = new URLSearchParams();
    if (tag) params.set('tag', tag);
    if (family) params.set('family', family);
    if (allowed.size !== outcomes.length) params.set('outcome', outcomes.filter((o) => allowed.has(o)).join(','));
    if (q) params.set('q', q);
    const hash = params.toString();
    if (hash !== location.hash.slice(1)) history.replaceState(null, '', hash ? '#' + hash : location.pathname);
  }
  function apply(event) {
    const tag = $('#f-tag').value, q = $('#f-q').value.trim().toLowerCase(), family = $('#f-family').value;
    const allowed = new Set(outcomes.filter((o) => $('#f-o-' + o).checked));
    const shown = {rows: 0};
    const visibleOps = new Set();
    outcomes.forEach((o) => { shown[o] = 0; });
    $$('#matrix tbody').forEach((body) => {
      let visible = 0;
      body.querySelectorAll('tr.row').forEach((tr) => {
        const cellOutcome = family ? tr.querySelector('td.cell[data-family="' + family + '"]').dataset.outcome : null;
        const ok = (!tag || tr.dataset.tag === tag)
          && (!q || tr.dataset.search.includes(q))
          && allowed.has(family ? cellOutcome : tr.dataset.outcome)
          && (!family || cellOutcome !== 'n/a');
        tr.hidden = !ok;
        if (ok) { visible++; shown.rows++; shown[tr.dataset.outcome]++; visibleOps.add(tr.dataset.op); }
      });
      body.hidden = visible === 0;
    });
    let groups = 0, findings = 0;
    $$('details.group').forEach((d) => {
      const ok = visibleOps.has(d.dataset.op) && (!family || d.dataset.family === family);
      d.hidden = !ok;
      if (ok) { groups++; findings += Number(d.dataset.count); }
    });
    $$('section.groups').forEach((sec) => { sec.hidden = !sec.querySelector('details.group:not([hidden])'); });
    if (event) writeHash(tag, q, family, allowed);
    const el = $('#shown');
    el.dataset.rows = shown.rows;
    el.dataset.groups = groups;
    el.dataset.findings = findings;
    outcomes.forEach((o) => { el.dataset[o.replace('-', '')] = shown[o]; });
    el.textContent = 'Showing ' + shown.rows + ' operations: '
      + outcomes.map((o) => shown[o] + ' ' + o).join(', ') + '; ' + groups + ' deviations ('
      + findings + ' findings).';
    el.dataset.hash = location.hash;
    el.dataset.height = document.documentElement.scrollHeight;
  }
  readHash();
  $$('.filters input, .filters select').forEach((el) => el.addEventListener('input', apply));
  window.addEventListener('hashchange', () => { readHash(); apply(); });
  $$('button.copy').forEach((b) => b.addEventListener('click', () => {
    navigator.clipboard && navigator.clipboard.writeText(b.nextElementSibling.textContent);
  }));
  apply();
})();
"""


def render(results: RunResults) -> str:
    rows = matrix.build(results)
    totals = matrix.totals(rows)
    code = results.exit_code if results.exit_code is not None else -1
    verdict_class, verdict = _VERDICT.get(code, ("error", "UNFINISHED"))
    groups = group_findings(results)
    spec = results.spec
    title = f"openai-conformance report: {results.target}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No network: forbid every fetch the page could make.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f'<header><h1><span class="verdict {verdict_class}" id="verdict">{verdict}</span>'
        f"{escape(results.target)}</h1>",
        f'<div id="headline">{escape(headline(groups))}; {len(rows)} operations, '
        f"{results.requests_sent} requests</div>",
        '<dl class="meta">',
    ]
    meta = [
        (
            "spec",
            f"{spec.get('title', spec.get('source', ''))} {spec.get('version', '')} "
            f"(OpenAPI {spec.get('openapi', '?')}, {spec.get('source', '')})",
        ),
        ("spec sha256", spec.get("sha256", "")),
        ("target kind", results.kind_line()),
        (
            "run",
            results.run_id
            + (f" (merged from {len(results.shards)} runs)" if results.shards else "")
            + (f"; shards missing: {', '.join(results.missing_shards)}" if results.missing_shards else ""),
        ),
        ("tool", f"openai-conformance {results.tool_version}"),
        ("seed / profile", f"{results.seed if results.seed is not None else '–'} / {results.profile or '–'}"),
        ("started / finished", f"{results.started} / {results.finished or '–'}"),
        ("exit code", str(results.exit_code)),
    ]
    if results.options:
        meta.append(("options", json.dumps(results.options, sort_keys=True, default=str)))
    if results.baseline:
        b = results.baseline
        meta.append(
            (
                "baseline",
                f"{b.get('file', '')}: {b.get('accepted', 0)} accepted, "
                f"{len(b.get('expired') or [])} expired, {len(b.get('unused') or [])} unused",
            )
        )
    parts += [f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in meta]
    parts.append("</dl></header><main>")
    parts += _evidence(results.recordings)
    parts += _totals(totals)
    parts += _by_check(results)
    parts += _filters(rows)
    parts += _matrix(rows)
    parts += _deviations(groups, rows, results)
    parts.append(f"</main><script>const OUTCOMES = {json.dumps(list(OUTCOMES))};{JS}</script></body></html>")
    return "\n".join(parts) + "\n"


def _evidence(recordings: dict[str, Any] | None) -> list[str]:
    """A replay's provenance: what the verdict rests on (formats, hosts left out, filtered headers, dates)."""
    lines = provenance_lines(recordings)
    if not lines or recordings is None:
        return []
    out = ['<section id="evidence"><h2>Recorded evidence</h2><ul>']
    out += [f"<li>{escape(line)}</li>" for line in lines]
    out.append("</ul>")
    hosts = recordings.get("other_hosts") or {}
    if hosts:
        out.append(f"<details><summary>{len(hosts)} other hosts, not judged</summary><ul>")
        out += [f"<li><code>{escape(host)}</code> ×{n}</li>" for host, n in hosts.items()]
        out.append("</ul></details>")
    out.append("</section>")
    return out


def _totals(totals: dict[str, dict[str, int]]) -> list[str]:
    keys = (*OUTCOMES, matrix.NOT_APPLICABLE)
    out = ['<h2>Scorecard</h2><div class="legend">']
    out += [
        f'<span style="background:var(--{_var(o)})">{escape(_LABEL[o])} {escape(o)}</span>' for o in OUTCOMES
    ]
    out.append('</div><table id="totals"><thead><tr><th>family</th>')
    out += [f"<th>{escape(k)}</th>" for k in keys]
    out.append("</tr></thead><tbody>")
    for column in (*matrix.COLUMNS, "overall"):
        cells = "".join(f'<td data-outcome="{escape(k)}">{totals[column][k]}</td>' for k in keys)
        out.append(f'<tr data-family="{column}"><th>{column}</th>{cells}</tr>')
    out.append("</tbody></table>")
    return out


def _by_check(results: RunResults) -> list[str]:
    """Violations per check: where to start fixing."""
    table: dict[str, dict[str, Any]] = {}
    for v in results.violations():
        row = table.setdefault(
            str(v.get("check")), {"family": v.get("family"), "new": 0, "accepted": 0, "ops": set()}
        )
        row["new" if is_new(v) else "accepted"] += 1
        row["ops"].add(v.get("operation_id"))
    if not table:
        return []
    out = ['<h3>Violations by check</h3><table id="by-check"><thead><tr><th>check</th><th>family</th>']
    out.append("<th>new</th><th>accepted</th><th>operations</th></tr></thead><tbody>")
    for check, row in sorted(table.items(), key=lambda item: (-item[1]["new"], item[0])):
        out.append(
            f'<tr data-check="{escape(check)}"><td><code>{escape(check)}</code></td>'
            f"<td>{escape(str(row['family']))}</td><td>{row['new']}</td><td>{row['accepted']}</td>"
            f"<td>{len(row['ops'])}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _var(outcome: str) -> str:
    return {"not-implemented": "ni", matrix.NOT_APPLICABLE: "na"}.get(outcome, outcome)


def _filters(rows: list[matrix.Row]) -> list[str]:
    tags = sorted({r.tag for r in rows}, key=str.lower)
    out = ['<div class="filters">', '<label>tag <select id="f-tag"><option value="">all</option>']
    out += [f'<option value="{escape(t)}">{escape(t)}</option>' for t in tags]
    out.append('</select></label><label>family <select id="f-family"><option value="">any</option>')
    out += [f'<option value="{c}">{c}</option>' for c in matrix.COLUMNS]
    out.append("</select></label>")
    out += [f'<label><input type="checkbox" id="f-o-{o}" checked> {o}</label>' for o in OUTCOMES]
    out.append(
        '<label>search <input type="search" id="f-q" placeholder="operation id or path"></label></div>'
    )
    out.append('<p id="shown"></p>')
    return out


def _matrix(rows: list[matrix.Row]) -> list[str]:
    out = ['<table id="matrix"><thead><tr><th>operation</th>']
    out += [f"<th>{c}</th>" for c in matrix.COLUMNS]
    out.append("<th>overall</th></tr></thead>")
    for tag, group in matrix.by_tag(rows).items():
        failed = sum(r.outcome == "failed" for r in group)
        out.append(
            f'<tbody data-tag="{escape(tag)}"><tr class="tag"><th colspan="{len(matrix.COLUMNS) + 2}">'
            f"{escape(tag)} <small>({len(group)} operations, {failed} failing)</small></th></tr>"
        )
        for row in group:
            search = f"{row.operation_id} {row.method} {row.path}".lower()
            link = f'<a href="#v-{escape(row.operation_id)}">' if row.violations else ""
            out.append(
                f'<tr class="row" data-op="{escape(row.operation_id)}" data-tag="{escape(tag)}" '
                f'data-outcome="{row.outcome}" data-search="{escape(search)}">'
                f'<td class="op" title="{escape(", ".join(row.tags))}"><span class="method">{row.method}</span>'
                f"{link}{escape(row.path)}{'</a>' if link else ''}<br><small>{escape(row.operation_id)}</small></td>"
            )
            for column in matrix.COLUMNS:
                cell = row.cells[column]
                text = _LABEL[cell.outcome] + (f" {cell.violations}" if cell.violations else "")
                acc = f' <span class="acc">+{cell.accepted} accepted</span>' if cell.accepted else ""
                out.append(
                    f'<td class="cell o-{cell.outcome}" data-family="{column}" data-outcome="{cell.outcome}" '
                    f'data-violations="{cell.violations}" title="{column}: {cell.outcome}">{escape(text)}{acc}</td>'
                )
            out.append(
                f'<td class="cell o-{row.outcome}" data-family="overall" data-outcome="{row.outcome}">'
                f"{escape(_LABEL[row.outcome])}</td></tr>"
            )
        out.append("</tbody>")
    out.append("</table>")
    return out


def _deviations(groups: list[Group], rows: list[matrix.Row], results: RunResults) -> list[str]:
    """The deviations, worst first, each collapsed; the known and accepted ones in sections apart."""
    tags = {r.operation_id: r.tag for r in rows}
    out = ['<section class="violations">']
    anchored: set[str] = set()
    for kind, title in SECTIONS:
        mine = [g for g in groups if g.kind == kind]
        if not mine and kind != "new":
            continue
        findings = sum(g.count for g in mine)
        out.append(
            f'<section class="groups" id="groups-{kind}"><h2>{escape(title)} '
            f"<small>({len(mine)}, {findings} findings)</small></h2>"
        )
        if not mine:
            out.append("<p>No deviations.</p>")
        for group in mine:
            anchor = group.operation_id not in anchored
            anchored.add(group.operation_id)
            out.append(_group(group, tags.get(group.operation_id, ""), results, anchor))
        out.append("</section>")
    reasons = [r for r in rows if not r.violations and any(x.reason for x in r.results)]
    if reasons:
        out.append("<h2>Not run or not implemented</h2><ul>")
        for row in reasons:
            for r in row.results:
                if r.reason:
                    out.append(
                        f"<li><code>{escape(row.operation_id)}</code> [{escape(r.phase)}] "
                        f"{escape(r.outcome)}: {escape(r.reason)}</li>"
                    )
        out.append("</ul>")
    out.append("</section>")
    return out


def _group(group: Group, tag: str, results: RunResults, anchor: bool) -> str:
    first = group.first
    where = f" at <code>{escape(str(first['path']))}</code>" if first.get("path") else ""
    accepted = first.get("accepted") if not is_new(first) else None
    badge = (
        f" <em>accepted: {escape(str(accepted.get('reason', '')))}"
        f"{' until ' + escape(str(accepted['expires'])) if accepted.get('expires') else ''}</em>"
        if accepted
        else f" <em>known deviation: {escape(str(first['known_deviation']))}</em>"
        if group.kind == "known" and first.get("known_deviation")
        else ""
    )
    ident = f' id="v-{escape(group.operation_id)}"' if anchor else ""
    parts = [
        f'<details class="group kind-{group.kind}"{ident} data-op="{escape(group.operation_id)}" '
        f'data-tag="{escape(tag)}" data-check="{escape(group.check)}" data-family="{escape(group.family)}" '
        f'data-kind="{group.kind}" data-count="{group.count}">',
        f'<summary><span class="count">{group.count}×</span> '
        f'<span class="sev-{escape(group.severity)}">{escape(group.severity)}</span> '
        f"<code>{escape(group.check)}</code> <code>{escape(group.operation_id)}</code>{where}: "
        f"{escape(group.message)}{badge}</summary>",
        '<div class="kv">',
        f"<div>findings</div><div>{group.count} (phases {escape(', '.join(group.phases))}"
        + (f"; status {escape(', '.join(map(str, group.statuses)))}" if group.statuses else "")
        + ")</div>",
    ]
    for key in ("expected", "got"):
        if first.get(key) is not None:
            parts.append(f"<div>{key}</div><div><pre>{escape(_text(first[key]))}</pre></div>")
    if first.get("request"):
        parts.append(f"<div>request</div><div><pre>{escape(_text(first['request']))}</pre></div>")
    if first.get("response"):
        parts.append(f"<div>response</div><div><pre>{escape(_text(first['response']))}</pre></div>")
    made = reproduction(group, results) or {}
    for key, label in (("serve", "serve the emulator"), ("curl", "curl"), ("python", "Python (httpx)")):
        if made.get(key):
            parts.append(
                f'<div>{label}</div><div><button class="copy" type="button">copy</button>'
                f"<pre>{escape(made[key])}</pre></div>"
            )
    parts.append("</div></details>")
    return "".join(parts)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, default=str)
