"""The read model (issue 17): the faces ask the library named questions and write no SQL."""

from __future__ import annotations

import re

from conftest import ROOT
from detainerwatch.publish import queries


def test_faces_write_no_sql():
    faces = [*sorted((ROOT / "src/detainerwatch/cli").glob("*.py"))]
    faces += sorted((ROOT / "src/detainerwatch/web").glob("*.py"))
    found = [
        f"{path.name}:{n}"
        for path in faces
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bexecute(many)?\(", line)
    ]
    assert found == []


def test_named_questions_answer_typed_rows(pa_store):
    with queries.connect_read(pa_store) as store:
        policies = queries.policy_list(store, "PA")
        review = queries.review_queue(store)
        # The facts view is registered once on the read connection.
        n = store.con.execute("SELECT count(*) FROM detainer_facts").fetchall()[0][0]
    assert policies and all(isinstance(p, queries.PolicyListing) for p in policies)
    assert {p.state for p in policies} == {"PA"}
    assert all(isinstance(r, queries.ReviewItem) for r in review)
    assert n > 0


def test_lazy_question_modules_answer_as_imported():
    """catalog, export and profiles are imported when one of their names is first asked for
    (issue 16): every name they export is reached through the package as the same object, and
    none shadows another module's name (as a star import in another order would)."""
    import importlib

    eager = set(queries.counts.__all__) | set(queries.summary.__all__)
    seen: set[str] = set()
    for sub in queries.LAZY_MODULES:
        module = importlib.import_module(f"detainerwatch.publish.queries.{sub}")
        names = set(module.__all__)
        assert not names & (eager | seen), sub
        seen |= names
        for name in names:
            assert getattr(queries, name) is getattr(module, name)
        assert getattr(queries, sub) is module
    try:
        queries.no_such_question  # noqa: B018
    except AttributeError as exc:
        assert "no_such_question" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
