"""`outcomes` written as CSV and JSON at every grain passes `check-disclosure` (the published-
output check every other output passes); the outcomes tests check the stricter rule on the
output itself (no count of 1-4 people in any cell)."""

from __future__ import annotations

from conftest import run
from test_outcomes import release  # noqa: F401 - the synthetic release with planted links


def test_outcomes_outputs_pass_check_disclosure(tmp_path, release):  # noqa: F811
    db, _ = release
    out = tmp_path / "outcomes"
    out.mkdir()
    for by, period in (("all", "all"), ("state", "fy"), ("jurisdiction", "year")):
        for fmt in ("csv", "json"):
            result = run(db, "outcomes", "--by", by, "--period", period, "--format", fmt)
            assert result.exit_code == 0, result.output
            (out / f"{by}-{period}.{fmt}").write_text(result.stdout, encoding="utf-8")
    checked = run(db, "check-disclosure", out)
    assert checked.exit_code == 0, checked.output
