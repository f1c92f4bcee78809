"""A map's projected shapes kept between commands (charts._kept_geometry, filecache.text): the
SVG is the same with the cache off, empty, filled, or holding a damaged file."""

from __future__ import annotations

from pathlib import Path

import pytest

from detainerwatch.publish import charts

ROWS = [
    {"county_fips": "42101", "issued": 120, "declined": 30},
    {"county_fips": "42043", "issued": 0, "declined": 0},
    {"county_fips": "42003", "issued": None, "declined": None},
    {"county_fips": "06037", "issued": 50, "declined": 5},
]
MAPS = [
    ("42", None),  # one state's counties
    (None, ["42"]),  # a national map of a store covering one state: neighbours grey
    (None, ["02", "42"]),  # with Alaska: the composite projection
    (None, None),  # the whole nation, by state
]


@pytest.fixture(autouse=True)
def _no_shipped_maps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The maps projected at install are left out here (the tests below are about the cache
    folder); the last tests put them back."""
    monkeypatch.setattr(charts, "SHIPPED_MAPS", tmp_path / "none-shipped")


def _svg(state_fips: str | None, covered: list[str] | None) -> str:
    return charts.svg(charts.map_spec(list(ROWS), state_fips, "Declined, by county", covered))


@pytest.mark.parametrize(("state_fips", "covered"), MAPS)
def test_same_map_whatever_the_cache_holds(
    state_fips: str | None,
    covered: list[str] | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", "off")
    made = _svg(state_fips, covered)
    assert "<path" in made
    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", str(tmp_path))
    assert _svg(state_fips, covered) == made  # empty cache: made and kept
    kept = list((tmp_path / "maps").iterdir())
    assert len(kept) == 1
    assert _svg(state_fips, covered) == made  # read back
    kept[0].write_text('{"scale": 2.0, "grey": [', encoding="utf-8")  # damaged
    assert _svg(state_fips, covered) == made


@pytest.mark.parametrize(("state_fips", "covered"), MAPS)
def test_a_kept_map_reads_nothing_of_the_shapes_file(
    state_fips: str | None,
    covered: list[str] | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its layout is kept with its shapes: a report of a store whose map is kept does not read
    and decompress the packaged shapes (~0.08 s a command, issue 16)."""
    from detainerwatch.publish import maps

    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", str(tmp_path))
    made = _svg(state_fips, covered)
    kept = list((tmp_path / "maps").iterdir())

    def no_reading() -> None:
        raise AssertionError("the shapes file was read")

    monkeypatch.setattr(maps, "_index", no_reading)
    monkeypatch.setattr(maps, "_kind", no_reading)
    assert _svg(state_fips, covered) == made
    kept[0].write_text('{"scale": 2.0, "grey": [], "shapes": []}', encoding="utf-8")  # older
    monkeypatch.undo()
    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", str(tmp_path))
    assert _svg(state_fips, covered) == made


def test_maps_of_other_states_are_kept_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", str(tmp_path))
    pa, ca = _svg("42", None), _svg("06", None)
    assert pa != ca and len(list((tmp_path / "maps").iterdir())) == 2


def test_templates_compiled_at_install_are_used_and_a_stale_one_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from detainerwatch.publish import filecache, output

    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", "off")
    output.environment.cache_clear()
    expected = output.render_methodology_html()
    shipped = tmp_path / "compiled"
    monkeypatch.setattr(filecache, "SHIPPED_TEMPLATES", shipped)
    assert filecache.precompile_templates() > 20
    output.environment.cache_clear()
    assert output.render_methodology_html() == expected  # from the compiled files
    # each file swapped for another template's: compiled from another source, so Jinja's
    # checksum refuses it and the template is compiled from its own source
    files = sorted(shipped.iterdir())
    blobs = [f.read_bytes() for f in files]
    for f, data in zip(files, blobs[1:] + blobs[:1], strict=True):
        f.write_bytes(data)
    output.environment.cache_clear()
    assert output.render_methodology_html() == expected
    output.environment.cache_clear()


def test_maps_projected_at_install_are_read_and_made_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make install` projects the usual maps (charts.precompile_maps): a report reads them with
    the cache off and reads nothing of the shapes file; a map outside them is made as before; a
    shipped file for other code or shapes is removed at the next install."""
    from detainerwatch.publish import maps

    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", "off")
    every = sorted({s.fips for s in maps.state_shapes()})
    made = {str(m): _svg(*m) for m in [*MAPS, (None, every)]}
    shipped = tmp_path / "shipped"
    wanted: list[tuple[str | None, list[str] | None]] = [(None, None), ("42", None), (None, ["42"])]
    monkeypatch.setattr(charts, "shipped_maps", lambda: wanted)
    shipped.mkdir()
    (shipped / "stale.txt").write_text("{}", encoding="utf-8")
    assert charts.precompile_maps(shipped) == 3
    assert not (shipped / "stale.txt").exists() and len(list(shipped.iterdir())) == 3
    assert charts.precompile_maps(shipped) == 0  # current: kept
    monkeypatch.setattr(charts, "SHIPPED_MAPS", shipped)

    def no_reading() -> None:
        raise AssertionError("the shapes file was read")

    monkeypatch.setattr(maps, "_index", no_reading)
    monkeypatch.setattr(maps, "_kind", no_reading)
    for m in wanted:
        assert _svg(*m) == made[str(m)]
    # a national map of a store covering every state is the nation's map, read as shipped
    assert _svg(None, every) == made[str((None, every))] == made[str((None, None))]
    monkeypatch.undo()
    monkeypatch.setenv("DETAINERWATCH_CACHE_DIR", "off")
    monkeypatch.setattr(charts, "SHIPPED_MAPS", shipped)
    assert _svg(None, ["02", "42"]) == made[str((None, ["02", "42"]))]  # not shipped: made


def test_the_usual_maps_are_projected_by_install() -> None:
    """What `make install` projects: the nation, each state, the nation seen from each state."""
    found = charts.shipped_maps()
    states = {s for s, _ in found if s}
    assert (None, None) in found and ("42", None) in found and (None, ["42"]) in found
    assert len(found) == 1 + 2 * len(states) and len(states) >= 51
