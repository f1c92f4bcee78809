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
