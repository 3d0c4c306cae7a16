"""Reports of a run: results.json, junit.xml, summary.md and report.html in `reports/<run id>/`.

    folder = write_reports(results, "reports")  # -> reports/<run id>/; reports/latest points at it

Everything written goes through redaction first (`conformance.redact`): API keys,
credential headers, organization and project ids and the values of the configured secret
environment variables never reach a file. Baselines (`reports.baseline`), run diffs
(`reports.diff`) and shard merges (`reports.merge`) work on `RunResults` read back with
`read_results`.
"""

from __future__ import annotations

from conformance.reports.jsonfile import RESULTS_FILE, read_results, results_schema, schema_errors
from conformance.reports.write import DEFAULT_REPORT_DIR, LATEST, REPORT_FILES, write_reports

__all__ = [
    "DEFAULT_REPORT_DIR",
    "LATEST",
    "REPORT_FILES",
    "RESULTS_FILE",
    "read_results",
    "results_schema",
    "schema_errors",
    "write_reports",
]
