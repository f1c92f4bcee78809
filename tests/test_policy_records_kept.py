"""The bundled policy records as read (derive.policies.built_in_records), kept by the audit
(publish/audit.py: made at install, else in the cache folder, keyed by the files' bytes and the
reading code): the same records whatever the cache holds, and read without the files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from detainerwatch.derive import policies
from detainerwatch.derive.policies import built_in_current, refresh_policies
from detainerwatch.publish import audit


def test_kept_records_are_the_files_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = policies.built_in_records()
    assert len(read) == 69 + 165
    monkeypatch.setattr(audit, "SHIPPED_POLICIES", tmp_path / "none")
    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", "off")
    assert audit.built_in_records() == read
    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", str(tmp_path / "cache"))
    assert audit.built_in_records() == read  # made and kept
    kept = list((tmp_path / "cache" / "policies").iterdir())
    assert len(kept) == 1
    monkeypatch.setattr(policies, "built_in_records", lambda: pytest.fail("read again"))
    assert audit.built_in_records() == read  # read back, the files not read
    kept[0].write_text('["half', encoding="utf-8")  # damaged: read from the files
    monkeypatch.undo()
    monkeypatch.setattr(audit, "SHIPPED_POLICIES", tmp_path / "none")
    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", str(tmp_path / "cache"))
    assert audit.built_in_records() == read


def test_records_made_at_install_are_read_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "stale.txt").write_text("[]", encoding="utf-8")
    assert audit.precompile_policies(shipped) == 1
    assert audit.precompile_policies(shipped) == 0 and len(list(shipped.iterdir())) == 1
    read = policies.built_in_records()
    monkeypatch.setattr(audit, "SHIPPED_POLICIES", shipped)
    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", "off")
    monkeypatch.setattr(policies, "built_in_records", lambda: pytest.fail("read again"))
    assert audit.built_in_records() == read


def test_the_store_check_answers_alike_with_kept_records() -> None:
    con = duckdb.connect()
    assert not built_in_current(con, audit.built_in_records())  # no policies table
    refresh_policies(con)
    assert built_in_current(con) and built_in_current(con, audit.built_in_records())
    con.execute("DELETE FROM policies WHERE policy_id = (SELECT min(policy_id) FROM policies)")
    assert not built_in_current(con) and not built_in_current(con, audit.built_in_records())
