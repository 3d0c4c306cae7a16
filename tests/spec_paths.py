"""Paths the spec tests share (a module of its own: `conftest` names clash across test folders)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_SPECS = REPO.parent / "shared" / "specs"
SPLIT = FIXTURES / "split" / "openapi.yaml"  # one spec over three files
