"""junit.xml: one test case per operation and phase, the shape CI systems read."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from conformance.results import OperationResult, RunResults, ViolationRecord, is_new

_MAX_TEXT = 20_000
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # XML 1.0 forbids these


def case_name(result: OperationResult) -> str:
    """Like the pytest item of the shipped suite: `test_positive[createAssistant]`."""
    return f"test_{result.phase}[{result.operation_id}]"


def render(results: RunResults) -> str:
    suites = ET.Element("testsuites", name="openai-conformance")
    by_phase: dict[str, list[OperationResult]] = defaultdict(list)
    for result in results.operations:
        by_phase[result.phase].append(result)
    totals: defaultdict[str, int] = defaultdict(int)
    for phase, group in by_phase.items():
        suite = ET.SubElement(suites, "testsuite", name=phase, timestamp=results.started)
        counts: defaultdict[str, int] = defaultdict(int)
        for result in group:
            _case(suite, result, counts)
        counts["tests"] = len(group)
        suite.set("time", f"{sum(r.duration for r in group):.3f}")
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
            totals[key] += counts[key]
        props = ET.Element("properties")
        for name, value in (
            ("target", results.target),
            ("spec", f"{results.spec.get('source', '')} {results.spec.get('version', '')}".strip()),
            ("spec_sha256", results.spec.get("sha256", "")),
            ("run_id", results.run_id),
            ("seed", "" if results.seed is None else str(results.seed)),
        ):
            ET.SubElement(props, "property", name=name, value=str(value))
        suite.insert(0, props)
    for key in ("tests", "failures", "errors", "skipped"):
        suites.set(key, str(totals[key]))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _case(suite: ET.Element, result: OperationResult, counts: dict[str, int]) -> None:
    tag = (result.tags or ["untagged"])[0]
    case = ET.SubElement(
        suite,
        "testcase",
        name=case_name(result),
        classname=f"openai-conformance.{result.phase}.{tag}",
        time=f"{result.duration:.3f}",
    )
    new = [v for v in result.violations if is_new(v)]
    if result.outcome == "failed" and new:
        counts["failures"] += 1
        checks = sorted({str(v.get("check")) for v in new})
        failure = ET.SubElement(
            case,
            "failure",
            message=f"{len(new)} violation(s) of {result.method} {result.path}: {', '.join(checks)}",
            type=checks[0],
        )
        failure.text = _clip("\n\n".join(_describe(v) for v in new))
    elif result.outcome == "error":
        counts["errors"] += 1
        ET.SubElement(case, "error", message=result.reason or "the test could not run")
    elif result.outcome in ("skipped", "not-implemented"):
        counts["skipped"] += 1
        reason = result.reason or (
            "not implemented by the target" if result.outcome == "not-implemented" else ""
        )
        ET.SubElement(case, "skipped", message=f"{result.outcome}: {reason}".rstrip(": "))
    accepted = [v for v in result.violations if v.get("accepted")]
    out = [f"{result.requests} requests, {result.examples} examples"]
    out += [f"accepted by baseline ({v['accepted'].get('reason')}): {_headline(v)}" for v in accepted]
    out += [
        f"known deviation {v['known_deviation']}: {_headline(v)}"
        for v in result.violations
        if v.get("known_deviation") and not v.get("accepted")
    ]
    ET.SubElement(case, "system-out").text = _clip("\n".join(out))


def _headline(v: ViolationRecord) -> str:
    where = f" at {v['path']}" if v.get("path") else ""
    return f"[{v.get('severity', 'error')}] {v.get('check')}{where}: {v.get('message')}"


def _describe(v: ViolationRecord) -> str:
    lines = [_headline(v)]
    if v.get("expected") is not None:
        lines.append(f"expected: {v['expected']}")
    if v.get("got") is not None:
        lines.append(f"got: {v['got']}")
    made = v.get("reproduction")
    if made and made["curl"]:
        lines.append("reproduce:\n" + made["curl"])
    return "\n".join(lines)


def _clip(text: str) -> str:
    text = _CONTROL.sub("", text)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "\n… (truncated)"
