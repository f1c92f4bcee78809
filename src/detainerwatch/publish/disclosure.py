"""The one disclosure function: every published table passes through ``protect()`` before it
leaves the library, and ``check()`` looks for what it must prevent in published output.

Rules come from ``hand/disclosure.yaml``: a cell counting people by a person attribute (the
columns it lists, and every count at a facility for children or a hospital) is never published
with a value of 1-4 ("<5" instead), deaths are published only at state-year grain or coarser,
and no "<5" cell can be worked out from the other cells, the row and column totals, the pooled
rows or another table of the same output.

An output is modelled as a ``Grid``: its count cells and the linear equalities a reader knows
hold between them (a row's outcomes add up to its issued count; a column adds up to its total;
a jurisdiction's facilities add up to its row; months add up to their year). Published cells are
known numbers, "<5" cells lie in 1-4, withheld ("x") and unpublished cells are any count >= 0.
Interval propagation over the equalities (sound: the true values always stay inside the
intervals) tells what a reader can work out. ``protect()`` withholds further cells
(complementary suppression) until no "<5" cell is determined, checking rows, columns, totals and
cross-table sums together until nothing changes. ``check()`` reads the same grid from
published values and reports every person-attribute cell of 1-4 and every "<5" a reader can
solve.

Every protected output is returned marked (``Disclosed``); writers and web responders call
``require()`` and refuse anything unmarked, so there is no way out around this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set as AbstractSet
from typing import Any, TypeVar, overload

import gc
import heapq
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache


from ..handfiles import read_yaml, steady

_T = TypeVar("_T")

INF = float("inf")
MAX_ROUNDS = 40  # rounds of complementary suppression before the blunt pass

# ---- rules ---------------------------------------------------------------------------------


def rules() -> dict[str, Any]:
    """hand/disclosure.yaml, through the hand-file reader (handfiles.HandFiles: parsed once, read
    again after an edit, so a running app follows a reviewed change). Callers in loops bind the
    values they need once (a stat per call is a few microseconds)."""
    loaded: dict[str, Any] = read_yaml("disclosure.yaml")
    return loaded


# Tests switch the rules off to show that check() finds what an unprotected build publishes:
# all of them, or only complementary suppression (each small cell shown as "<5", nothing withheld
# beside it: the build the issue found, where subtraction undid the "<5").
_ENABLED = [True]
_COMPLEMENTARY = [True]


def set_enabled(on: bool, *, complementary: bool = True) -> None:
    _ENABLED[0] = on
    _COMPLEMENTARY[0] = complementary


def enabled() -> bool:
    return _ENABLED[0]


def small_max() -> int:
    return int(rules()["small_cell_max"])


def small_label() -> str:
    return str(rules()["small_cell_label"])


def withheld_label() -> str:
    return str(rules()["withheld_label"])


def is_person_attribute(column: str) -> bool:
    return _is_person_attribute(column, tuple(rules()["person_attribute_columns"]))


@lru_cache(maxsize=4096)  # keyed on the rules too: an edited hand file is never answered from here
def _is_person_attribute(column: str, names: tuple[str, ...]) -> bool:
    for name in names:
        if column == name or (name.endswith("_") and column.startswith(name)):
            return True
    return False


def subject_columns() -> set[str]:
    return set(rules()["subject_columns"])


def protected_facility_name(name: str | None) -> bool:
    if not name:
        return False
    return any(
        p.search(name) for p in _name_patterns(tuple(rules()["protected_facility_name_patterns"]))
    )


@lru_cache(maxsize=8)  # keyed on the rules' patterns: an edited hand file compiles afresh
def _name_patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Each pattern compiled once (re.search looked each up in re's cache per facility row)."""
    return tuple(re.compile(p, re.I) for p in patterns)


def protected_facility_types() -> list[str]:
    return [t.upper() for t in rules()["protected_facility_types"]]


def deaths_coarse(days: int, whole_state_or_nation: bool) -> bool:
    """Whether a count of deaths over `days` days is at state-year grain or coarser."""
    return whole_state_or_nation and days >= int(rules()["deaths"]["coarsest_finer_grain_days"])


def protected_facilities_sql() -> str:
    """A boolean SQL expression over detainer_facts-like columns (facility_name, facility_code):
    the facility is for children or a hospital (ICE facility list type, or its name)."""
    pats = " OR ".join(
        f"regexp_matches(coalesce(facility_name, ''), '{p.replace(chr(39), chr(39) * 2)}', 'i')"
        for p in rules()["protected_facility_name_patterns"]
    )
    types = ", ".join(f"'{t}'" for t in protected_facility_types())
    return (
        f"(({pats}) OR coalesce(facility_code, '') IN (SELECT detloc FROM facility_list "
        f"WHERE upper(coalesce(type_detailed, '')) IN ({types})))"
    )


# ---- the mark --------------------------------------------------------------------------------


class DisclosureError(RuntimeError):
    """Something tried to publish data that did not pass through protect()."""


class Disclosed(dict[str, Any]):
    """A dict that passed through the disclosure function."""


class DisclosedList(list[Any]):
    """A list (of rows) that passed through the disclosure function."""


def mark(obj: Any) -> Any:
    if isinstance(obj, (Disclosed, DisclosedList)):
        return obj
    if isinstance(obj, dict):
        return Disclosed(obj)
    if isinstance(obj, list):
        return DisclosedList(obj)
    raise TypeError(f"cannot mark {type(obj).__name__}")


def is_checked(obj: object) -> bool:
    return isinstance(obj, (Disclosed, DisclosedList))


def require(obj: _T, what: str = "output") -> _T:
    """Refuse to write or serve anything that did not pass through protect()."""
    if not is_checked(obj):
        raise DisclosureError(
            f"{what}: refusing to publish data that has not passed the "
            "disclosure function (publish.disclosure.protect)"
        )
    return obj


# ---- the grid --------------------------------------------------------------------------------


# A cell of the grid: (table, row index or 'pooled' / 'total', column).
_Key = tuple[Any, ...]


class _Labels(dict[_Key, str]):
    """key -> the cell's place for a reader ("facilities[JAIL, CITY].declined"). A table of rows
    registered whole (_rows_table) gives its cells' labels when one is first asked for, from
    the row's name, instead of one string per cell made ahead: only cells named in a finding
    or an error are ever asked for (issue 16)."""

    def __init__(self) -> None:
        super().__init__()
        # table -> (its rows, the name of a row or None)
        self.tables: dict[
            Any, tuple[Sequence[dict[str, Any]], Callable[[dict[str, Any]], Any] | None]
        ] = {}

    def __missing__(self, key: _Key) -> str:
        entry = self.tables.get(key[0]) if len(key) == 3 else None
        if entry is None:
            raise KeyError(key)
        table, i, column = key
        rows, name_of = entry
        row = rows[i]
        name = (name_of(row) if name_of else None) or row.get("name") or row.get("id") or i
        return f"{table}[{name}].{column}"


@dataclass
class Grid:
    values: dict[_Key, int] = field(default_factory=dict)  # key -> int (true or published value)
    shown: dict[_Key, str] = field(default_factory=dict)  # key -> "<5" | "x" for withheld cells
    hidden: set[_Key] = field(default_factory=set)  # cells never published (unknown to a reader)
    sensitive: set[_Key] = field(default_factory=set)  # person-attribute cells
    eligible: set[_Key] = field(default_factory=set)  # may be withheld as a complement
    where: dict[_Key, tuple[dict[str, Any], str]] = field(
        default_factory=dict
    )  # key -> (row dict, column) to write back
    constraints: list[list[tuple[_Key, int]]] = field(
        default_factory=list
    )  # [[(key, coeff), ...]]: sum == 0
    label: dict[_Key, str] = field(default_factory=_Labels)  # key -> human location
    forced: list[str] = field(default_factory=list)  # subject counts withheld as a last resort
    # key -> the equalities it appears in, kept by _cons_of() (equalities are only appended)
    _index: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def cell(
        self,
        key: _Key,
        row: dict[str, Any],
        column: str,
        *,
        sensitive: bool = False,
        eligible: bool = True,
        label: str = "",
    ) -> bool:
        """Register row[column] as a cell; returns False when the row holds no count there."""
        value = row.get(column)
        if key in self.values or key in self.shown or key in self.hidden:
            return True
        if isinstance(value, bool) or value is None:
            return False
        if isinstance(value, str):
            text = value.strip()
            if text == small_label():
                self.shown[key] = "<5"
            elif text == withheld_label() or text == "":
                self.shown[key] = "x"
            else:
                try:
                    self.values[key] = int(float(text.replace(",", "")))
                except ValueError:
                    return False  # "not recorded" and other text: not a count
        elif isinstance(value, (int, float)):
            self.values[key] = int(value)
        else:
            return False
        self.where[key] = (row, column)
        self.label[key] = label or f"{key}"
        if sensitive:
            self.sensitive.add(key)
        if eligible:
            self.eligible.add(key)
        return True

    def hide(
        self, key: _Key, value: int | None, *, sensitive: bool = False, label: str = ""
    ) -> None:
        """A count a reader does not see but knows exists (the pooled row's hidden members, the
        detainers not marked aggravated felony)."""
        self.hidden.add(key)
        if value is not None:
            self.values[key] = value
        if sensitive:
            self.sensitive.add(key)
        self.label[key] = label or f"{key}"

    def equal(self, total: _Key, parts: list[_Key]) -> None:
        """total == sum(parts); keys that were never registered make the constraint unusable."""
        values, shown, hidden = self.values, self.shown, self.hidden
        for k in (total, *parts):  # _known, inline: a national report registers thousands
            if k not in values and k not in shown and k not in hidden:
                return
        self.constraints.append([(total, 1)] + [(k, -1) for k in parts])

    def _cons_of(self) -> dict[_Key, list[int]]:
        """key -> the indexes of the equalities it appears in (once per appearance, in order).
        Built once per grid and extended when equalities are added (they are only ever
        appended, never changed): protect's rounds, the first pass and every propagation share
        it instead of each walking every term of every equality (issue 16). Read only."""
        cache, constraints = self._index, self.constraints
        if cache.get("list") is not constraints or cache["n"] > len(constraints):
            cache.clear()
            cache.update({"list": constraints, "n": 0, "of": {}})
        of: dict[_Key, list[int]] = cache["of"]
        for ci in range(cache["n"], len(constraints)):
            for k, _ in constraints[ci]:
                found = of.get(k)
                if found is None:
                    of[k] = [ci]
                else:
                    found.append(ci)
        cache["n"] = len(constraints)
        return of

    def _known(self, key: _Key) -> bool:
        return key in self.values or key in self.shown or key in self.hidden

    # -- what a reader can work out
    def unknown(self, key: _Key) -> bool:
        return key in self.shown or key in self.hidden

    def _equalities(
        self, unknown: AbstractSet[_Key]
    ) -> tuple[
        list[_Key], list[list[int]], list[list[int]], list[float], list[list[tuple[int, int]]]
    ]:
        """The equalities holding an unknown cell, in their order: the unknown cells (numbered),
        each equality's unknown members and their coefficients, its constant (minus the sum of
        its published cells), and each cell's (equality, position) list."""
        keys = list(unknown)
        index = {k: u for u, k in enumerate(keys)}
        mem_u: list[list[int]] = []
        mem_a: list[list[int]] = []
        consts: list[float] = []
        cons_of: list[list[tuple[int, int]]] = [[] for _ in keys]  # u -> [(equality, position)]
        values = self.values
        constraints, cons_index = self.constraints, self._cons_of()
        usable: set[int] = set()
        for key in keys:
            usable.update(cons_index.get(key, ()))
        index_of = index.get
        for c_index in sorted(usable):
            # one pass over the terms (the same members, coefficients and constant as three)
            us: list[int] = []
            coeffs: list[int] = []
            const = 0
            for k, a in constraints[c_index]:
                u = index_of(k)
                if u is None:
                    const -= a * values[k]
                else:
                    us.append(u)
                    coeffs.append(a)
            if not us:
                continue
            ci = len(consts)
            mem_u.append(us)
            mem_a.append(coeffs)
            consts.append(const)
            for p, u in enumerate(us):
                cons_of[u].append((ci, p))
        return keys, mem_u, mem_a, consts, cons_of

    def propagate(self) -> dict[_Key, list[float]]:
        """Bounds of every unknown cell a reader can derive: each equality tightens each of its
        unknowns by the others' bounds, repeated (worklist) until nothing changes.

        Near-linear (issue 16): each equality keeps the sums of its unknowns' ends up to date as
        bounds change, and a heap of its unknowns by width, so a visit looks only at the cells it
        can tighten (those wider than the equality's slack, or the one unknown left unbounded)
        instead of every cell of a column of thousands. Every tightening is the same projection
        as before (the equality's exact range for the cell given the others' bounds), so the
        worklist ends at the same bounds, the one fixed point of these projections."""
        smax = small_max()
        unknown = set(self.shown) | self.hidden
        # Within protect(), a round that changed only which cells are "<5" and which withheld
        # (its picks were all "<5" cells, now shown as withheld) has the same unknown cells
        # and so the same equalities, members and constants: they are kept from the round
        # before; only the starting bounds differ.
        rounds: dict[str, Any] | None = self._index.get("rounds")
        kept = rounds.get("structure") if rounds is not None else None
        if kept is not None and kept[0] == unknown:
            keys, mem_u, mem_a, consts, cons_of = kept[1:]
        else:
            keys, mem_u, mem_a, consts, cons_of = self._equalities(unknown)
            if rounds is not None:
                rounds["structure"] = (unknown, keys, mem_u, mem_a, consts, cons_of)
        lo: list[float] = []
        hi: list[float] = []
        shown = self.shown
        for key in keys:
            if shown.get(key) == "<5":
                lo.append(1)
                hi.append(smax)
            else:
                lo.append(0)
                hi.append(INF)
        n = len(consts)
        # per equality: sums of the members' a*x lower and upper ends (infinities counted
        # apart, and which members they are), and a max-heap of finite widths (lazy)
        lo_fin = [0.0] * n
        hi_fin = [0.0] * n
        lo_inf: list[set[int]] = [set() for _ in range(n)]
        hi_inf: list[set[int]] = [set() for _ in range(n)]
        heaps: list[list[tuple[float, int]]] = [[] for _ in range(n)]

        def ends(u: int, a: int) -> tuple[float, float]:
            return (a * lo[u], a * hi[u]) if a > 0 else (a * hi[u], a * lo[u])

        # A member's ends enter its equalities' sums (or the sets of infinite ends) as it is
        # added, and leave them as its bounds change: written inline below (the calls were a
        # fifth of a profile's disclosure step), the sums made in the same order as ever.
        for ci in range(n):
            heap = heaps[ci]
            c_lo_inf, c_hi_inf = lo_inf[ci], hi_inf[ci]
            s_lo = s_hi = 0.0
            for p, (u, a) in enumerate(zip(mem_u[ci], mem_a[ci], strict=True)):
                e_lo, e_hi = (a * lo[u], a * hi[u]) if a > 0 else (a * hi[u], a * lo[u])
                if e_lo == -INF:
                    c_lo_inf.add(p)
                else:
                    s_lo += e_lo
                if e_hi == INF:
                    c_hi_inf.add(p)
                else:
                    s_hi += e_hi
                if e_lo != -INF and e_hi != INF:
                    heap.append((e_lo - e_hi, p))
            lo_fin[ci], hi_fin[ci] = s_lo, s_hi
            heapq.heapify(heap)

        # Shortest equalities first: a row's few cells settle before a column of thousands is
        # visited, so the column tightens its cells once rather than once per settled row.
        size = [len(us) for us in mem_u]
        queue = [(size[ci], ci) for ci in range(n)]
        heapq.heapify(queue)
        queued = [True] * n
        budget = 60 * n + 1000
        while queue and budget > 0:
            budget -= 1
            ci = heapq.heappop(queue)[1]
            queued[ci] = False
            const = consts[ci]
            us, coeffs = mem_u[ci], mem_a[ci]
            n_lo_inf, n_hi_inf = len(lo_inf[ci]), len(hi_inf[ci])
            # which members this equality can tighten
            cands: set[int] = set()
            threshold = INF
            if n_hi_inf == 0:  # lower ends: members wider than the slack, or unbounded below
                cands |= lo_inf[ci]
                threshold = hi_fin[ci] - const
            elif n_hi_inf == 1:
                cands |= hi_inf[ci]
            if n_lo_inf == 0:  # upper ends: likewise
                cands |= hi_inf[ci]
                threshold = min(threshold, const - lo_fin[ci])
            elif n_lo_inf == 1:
                cands |= lo_inf[ci]
            heap = heaps[ci]
            popped: list[tuple[float, int]] = []
            while heap and -heap[0][0] > threshold:
                item = heapq.heappop(heap)
                neg_w, p = item
                e_lo, e_hi = ends(us[p], coeffs[p])
                if e_lo - e_hi == neg_w:  # current (a stale entry had a wider range)
                    popped.append(item)
                    cands.add(p)
            for p in sorted(cands):
                u, a = us[p], coeffs[p]
                own_lo, own_hi = ends(u, a)
                n_lo_inf, n_hi_inf = len(lo_inf[ci]), len(hi_inf[ci])
                if own_lo == -INF:
                    rest_lo = -INF if n_lo_inf > 1 else lo_fin[ci]
                else:
                    rest_lo = -INF if n_lo_inf else lo_fin[ci] - own_lo
                if own_hi == INF:
                    rest_hi = INF if n_hi_inf > 1 else hi_fin[ci]
                else:
                    rest_hi = INF if n_hi_inf else hi_fin[ci] - own_hi
                t_lo, t_hi = const - rest_hi, const - rest_lo  # range of a * x
                new_lo, new_hi = (t_lo, t_hi) if a > 0 else (-t_hi, -t_lo)
                was_lo, was_hi = lo[u], hi[u]
                if new_lo <= was_lo and new_hi >= was_hi:
                    continue
                now_lo, now_hi = max(new_lo, was_lo), min(new_hi, was_hi)
                lo[u], hi[u] = now_lo, now_hi
                for cj, pj in cons_of[u]:  # the old ends leave the sums, the new enter
                    aj = mem_a[cj][pj]
                    if aj > 0:
                        o_lo, o_hi, e_lo, e_hi = aj * was_lo, aj * was_hi, aj * now_lo, aj * now_hi
                    else:
                        o_lo, o_hi, e_lo, e_hi = aj * was_hi, aj * was_lo, aj * now_hi, aj * now_lo
                    if o_lo == -INF:
                        lo_inf[cj].discard(pj)
                    else:
                        lo_fin[cj] += -1 * o_lo
                    if o_hi == INF:
                        hi_inf[cj].discard(pj)
                    else:
                        hi_fin[cj] += -1 * o_hi
                    if e_lo == -INF:
                        lo_inf[cj].add(pj)
                    else:
                        lo_fin[cj] += e_lo
                    if e_hi == INF:
                        hi_inf[cj].add(pj)
                    else:
                        hi_fin[cj] += e_hi
                    if e_lo != -INF and e_hi != INF:
                        heapq.heappush(heaps[cj], (e_lo - e_hi, pj))
                    if cj != ci and not queued[cj]:
                        queued[cj] = True
                        heapq.heappush(queue, (size[cj], cj))
            for neg_w, p in popped:  # unchanged members go back on the heap
                e_lo, e_hi = ends(us[p], coeffs[p])
                if e_lo - e_hi == neg_w:
                    heapq.heappush(heap, (neg_w, p))
        return {key: [lo[u], hi[u]] for u, key in enumerate(keys)}

    def solvable(self, bounds: dict[_Key, list[float]]) -> list[Any]:
        """Person-attribute cells of 1-4 a reader can work out exactly."""
        out = []
        smax = small_max()
        for key in self.sensitive:
            if not self.unknown(key):
                continue
            lo, hi = bounds[key]
            if lo != hi:
                continue
            value = self.values.get(key, lo)
            if 1 <= value <= smax or self.shown.get(key) == "<5":
                out.append(key)
        return out

    # -- protection
    def protect(self) -> None:
        smax = small_max()
        for key in list(self.sensitive):
            if key in self.hidden or key in self.shown:
                continue
            if 1 <= self.values[key] <= smax:
                self.shown[key] = "<5"
        if not _COMPLEMENTARY[0]:
            return
        cons_of = self._cons_of()
        self._two_per_line()
        self._index["rounds"] = {}  # what propagation keeps from one round to the next
        try:
            self._rounds(cons_of)
        finally:
            self._index.pop("rounds", None)

    def _rounds(self, cons_of: dict[_Key, list[int]]) -> None:
        """Complementary suppression, round by round, until no "<5" can be worked out."""
        rounds = 0
        for _ in range(len(self.values) + 1):
            bounds = self.propagate()
            bad = self.solvable(bounds)
            if not bad:
                return
            picked = set()
            rounds += 1
            for start in sorted(bad, key=str):
                if self.shown.get(start) == "<5":
                    # Its "<5" (at least 1) may be what gives it away (a published total of 1,
                    # all of it here): first show it as withheld, which may be 0.
                    self.shown[start] = "x"
                    picked.add(start)
                    continue
                if rounds > MAX_ROUNDS:  # blunt and safe: withhold everything eligible beside it
                    before = len(picked)
                    for ci in cons_of.get(start, []):
                        for k in self._candidates(ci):
                            self.shown[k] = "x"
                            picked.add(k)
                    if len(picked) > before:
                        continue
                    pick = None  # nothing eligible beside it: the last resort below
                else:
                    pick = self._complement(start, bounds, cons_of, picked)
                if pick is None and (not picked or rounds > MAX_ROUNDS):
                    # nothing eligible next to it: withhold a neighbouring count whatever it is
                    pick = self._last_resort(start, cons_of)
                    if pick is None:
                        raise DisclosureError(f"cannot protect {self.label[start]}")
                    self.forced.append(self.label[pick])
                if pick is not None:
                    picked.add(pick)
                    self.shown[pick] = "x"
        left = self.solvable(self.propagate())  # never publish what the rounds left solvable
        if left:
            raise DisclosureError(f"cannot protect {self.label[sorted(left, key=str)[0]]}")

    def _two_per_line(self) -> None:
        """The fast first pass: no equality may hold exactly one unknown cell (it would be its
        published cells' difference); withhold the smallest eligible cell beside it, repeated
        until every equality holds none or at least two. Propagation then finds the rest.

        Passes in the equalities' order, as ever, but a pass visits only the equalities whose
        cells changed since their last visit (a visit's outcome depends on nothing else), so a
        cell withheld costs its equalities, not another look at every equality (issue 16).
        Each equality's count of unknown cells is kept as cells are withheld (counts only grow),
        so only equalities holding exactly one are visited: a visit to any other withholds
        nothing, and one holding two or more never holds one again."""
        smax = small_max()
        shown, hidden, sensitive, values = self.shown, self.hidden, self.sensitive, self.values
        constraints = self.constraints
        cons_of = self._cons_of()
        count = [0] * len(constraints)  # unknown cells of each equality (each appearance)
        for k in set(shown) | hidden:
            for ci in cons_of.get(k, ()):
                count[ci] += 1
        pending = [ci for ci, n in enumerate(count) if n == 1]  # this pass's, in order
        while pending:
            heapq.heapify(pending)
            in_pass = set(pending)
            later: set[int] = set()  # reached one unknown before the point this pass has reached
            while pending:
                ci = heapq.heappop(pending)
                in_pass.discard(ci)
                if count[ci] != 1:
                    continue
                k = next(k for k, _ in constraints[ci] if k in shown or k in hidden)
                if k in hidden and k not in sensitive:
                    continue
                if k in hidden and not 1 <= values.get(k, 0) <= smax:
                    continue
                cands = self._candidates(ci)
                if cands:
                    pick = min(cands, key=lambda c: (values[c] == 0, values[c], str(c)))
                    shown[pick] = "x"
                    for cj in cons_of[pick]:
                        count[cj] += 1
                        if count[cj] != 1:
                            continue
                        if cj > ci:
                            if cj not in in_pass:
                                in_pass.add(cj)
                                heapq.heappush(pending, cj)
                        else:
                            later.add(cj)
            pending = list(later)

    def _candidates(self, ci: int) -> list[_Key]:
        eligible, shown, hidden = self.eligible, self.shown, self.hidden
        return [
            k
            for k, _ in self.constraints[ci]
            if k in eligible and k not in shown and k not in hidden
        ]

    def _complement(
        self,
        start: _Key,
        bounds: dict[_Key, list[float]],
        cons_of: dict[_Key, list[int]],
        picked: AbstractSet[_Key] = frozenset(),
    ) -> _Key | None:
        """Follow the equalities that pin `start` (through other pinned cells) to one whose only
        unknown is pinned by published cells, and withhold its smallest eligible cell there."""
        pinned: Callable[[_Key], bool] = lambda k: k in bounds and bounds[k][0] == bounds[k][1]  # noqa: E731
        seen, frontier, options = {start}, [start], []
        depth = 0
        # What an equality gives this search does not change during it (bounds and withheld
        # cells are fixed here): it is worked out on its first visit and reused on the next
        # ones (a column's equality of a hundred months was read again from each of its cells:
        # a third of a profile's disclosure step; issue 16). A later visit records its option
        # again (its depth orders the options) but adds no cell: the first added them all.
        visited: dict[int, tuple[int, list[_Key]] | None] = {}
        shown, hidden, constraints = self.shown, self.hidden, self.constraints
        while frontier and depth < 50:
            nxt = []
            for k in frontier:
                for ci in cons_of.get(k, []):
                    if ci in visited:
                        again = visited[ci]
                        if again is not None:
                            options.append((again[0], depth, ci, again[1]))
                        continue
                    unknown = [u for u, _ in constraints[ci] if u in shown or u in hidden]
                    if not all(pinned(u) for u in unknown):
                        visited[ci] = None
                        continue
                    cands = self._candidates(ci)
                    visited[ci] = (len(unknown), cands) if cands else None
                    if cands:
                        options.append((len(unknown), depth, ci, cands))
                    for u in unknown:
                        if u not in seen:
                            seen.add(u)
                            nxt.append(u)
            frontier, depth = nxt, depth + 1
        if not options:
            return None
        # The deepest root cause first (a constraint with one unknown pins it outright).
        options.sort(key=lambda o: (o[0], -o[1]))
        cands = options[0][3]
        return min(cands, key=lambda k: (self.values[k] == 0, self.values[k], str(k)))

    def _last_resort(self, start: _Key, cons_of: dict[_Key, list[int]]) -> _Key | None:
        """The nearest published count tied to `start` by the equalities, through withheld
        cells (a county whose one facility is a children's home: the county's count, its years'
        and months' counts are the facility's)."""
        seen, frontier = {start}, [start]
        while frontier:
            nxt: list[_Key] = []
            for key in frontier:
                for ci in cons_of.get(key, []):
                    for k, _ in self.constraints[ci]:
                        if not self.unknown(k) and k in self.values:
                            return k
                        if k not in seen:
                            seen.add(k)
                            nxt.append(k)
            frontier = nxt
        return None

    def write_back(self) -> None:
        for key, shown in self.shown.items():
            row, column = self.where[key]
            row[column] = small_label() if shown == "<5" else withheld_label()


def _sum_without(
    unknown: list[tuple[_Key, int]], bounds: dict[_Key, list[float]], skip: _Key, end: int
) -> float:
    total = 0.0
    for k, a in unknown:
        if k == skip:
            continue
        lo, hi = bounds[k]
        if end == 0:
            total += a * lo if a > 0 else a * hi
        else:
            total += a * hi if a > 0 else a * lo
    return total


@dataclass
class Finding:
    location: str
    problem: str

    def __str__(self) -> str:
        return f"{self.location}: {self.problem}"


def findings(grid: Grid, where: str) -> list[Finding]:
    """What a reader of published values can learn that the rules forbid."""
    out = []
    smax = small_max()
    for key in sorted(grid.sensitive, key=str):
        if key in grid.values and not grid.unknown(key) and 1 <= grid.values[key] <= smax:
            out.append(
                Finding(
                    f"{where} {grid.label[key]}",
                    f"person-attribute cell of {grid.values[key]} published",
                )
            )
    bounds = grid.propagate()
    for key in sorted(grid.solvable(bounds), key=str):
        out.append(
            Finding(
                f"{where} {grid.label[key]}",
                f"withheld cell recoverable by subtraction (= {int(bounds[key][0])})",
            )
        )
    return out


# ---- the tables of each output ---------------------------------------------------------------


def _outcomes() -> list[str]:
    from ..derive.facts import OUTCOMES

    return list(OUTCOMES)


def _truthy(value: object) -> bool:
    return value is True or value == 1 or str(value).lower() in ("true", "1")


def _facility_protected(row: dict[str, Any]) -> bool:
    if _truthy(row.get("protected_facility")):
        return True
    return protected_facility_name(row.get("facility") or row.get("facility_name"))


SUBJECT_TYPES = ("county", "city", "state")


def _subject_row(row: dict[str, Any]) -> bool:
    """Counts issued, declined and booked of a county, city or state government (the ones that
    can decline) are the report's subject and stay published; federal, ICE, private and
    unresolved custody rows follow the rules like any other count."""
    if "can_decline" in row:
        return bool(row["can_decline"])
    kind = row.get("jurisdiction_type")
    return kind is None or kind in SUBJECT_TYPES


def _rows_table(
    grid: Grid,
    table: str,
    rows: list[dict[str, Any]],
    columns: list[str],
    *,
    partition: tuple[str, list[str]] | None = None,
    subject_protected: bool = False,
    row_protected: Callable[[dict[str, Any]], Any] | None = None,
    name_of: Callable[[dict[str, Any]], Any] | None = None,
    folded: bool = False,
) -> list[str]:
    """Register the count cells of a list of rows; returns the columns registered.

    A cell holding a plain int is registered here, inline (a national report registers tens of
    thousands); anything else through Grid.cell. Labels are made when asked for (_Labels)."""
    # bound once per table, not per cell
    subject_cols = subject_columns() if subject_protected else set()
    attribute = {c: is_person_attribute(c) for c in columns}
    labels = grid.label
    lazy = isinstance(labels, _Labels) and table not in labels.tables
    if lazy:
        assert isinstance(labels, _Labels)
        labels.tables[table] = (rows, name_of)
    values, shown, hidden, where = grid.values, grid.shown, grid.hidden, grid.where
    sensitive_cells, eligible_cells = grid.sensitive, grid.eligible
    used = [c for c in columns if not (folded and c == "died")]
    if partition:
        total, parts = partition
        parts = [p for p in parts if not (folded and p == "died")]
    for i, row in enumerate(rows):
        subject = subject_cols if subject_protected and _subject_row(row) else set()
        whole = bool(row_protected and row_protected(row))
        name = None
        for c in used:
            sens = whole or attribute[c]
            key = (table, i, c)
            value = row.get(c)
            if type(value) is int and key not in values and key not in shown and key not in hidden:
                values[key] = value
                where[key] = (row, c)
                if not lazy:
                    if name is None:
                        name = (
                            (name_of(row) if name_of else None)
                            or row.get("name")
                            or row.get("id")
                            or i
                        )
                    labels[key] = f"{table}[{name}].{c}"
                if sens:
                    sensitive_cells.add(key)
                if c not in subject or sens:
                    eligible_cells.add(key)
                continue
            if name is None:
                name = (name_of(row) if name_of else None) or row.get("name") or row.get("id") or i
            grid.cell(
                key,
                row,
                c,
                sensitive=sens,
                eligible=c not in subject or sens,
                label=f"{table}[{name}].{c}",
            )
        if partition:
            grid.equal((table, i, total), [(table, i, p) for p in parts])
    return columns


def _column_sums(
    grid: Grid,
    total_table: str,
    total_index: int | str,
    child_table: str,
    n: int,
    columns: list[str],
    parent_extra: dict[str, Any] | None = None,
) -> None:
    """sum of the child rows == the total row, per column. parent_extra maps a column to more
    parent columns summed with it (released in the children holds released + died)."""
    for c in columns:
        if c == "died" and parent_extra is not None:
            continue
        parts = [(child_table, i, c) for i in range(n)]
        extra = (parent_extra or {}).get(c)
        if extra:
            keys = [(total_table, total_index, c), (total_table, total_index, extra)]
            if all(grid._known(k) for k in keys + parts):
                grid.constraints.append([(keys[0], 1), (keys[1], 1)] + [(p, -1) for p in parts])
            continue
        grid.equal((total_table, total_index, c), parts)


def _fold(rows: list[dict[str, Any]]) -> None:
    """Deaths at a grain finer than state-year: counted with the releases, column withheld."""
    into = rules()["deaths"]["fold_into"]
    label = withheld_label()  # once per table, not per row
    for row in rows:
        died = row.get("died")
        if isinstance(died, int) and not isinstance(died, bool) and isinstance(row.get(into), int):
            row[into] = row[into] + died
        if "died" in row:
            row["died"] = label


def report_grid(r: dict[str, Any]) -> Grid:
    grid = Grid()
    outcomes = _outcomes()
    deaths = (r.get("disclosure") or {}).get("deaths", {})
    rows_folded = deaths.get("rows") == "folded"
    totals_folded = deaths.get("totals") == "folded"
    counts = ["issued", *outcomes]
    kinds = ["hold_requests", "notification_requests", "type_not_recorded"]
    totals = r.get("totals") or {}
    _rows_table(
        grid,
        "totals",
        [totals],
        counts + kinds,
        partition=("issued", outcomes),
        subject_protected=True,
        folded=totals_folded,
        name_of=lambda _: "all",
    )
    grid.equal(("totals", 0, "issued"), [("totals", 0, k) for k in kinds])
    juris = (r.get("jurisdictions") or []) + (r.get("other_custody") or [])
    _rows_table(
        grid,
        "jurisdictions",
        juris,
        counts + kinds,
        partition=("issued", outcomes),
        subject_protected=True,
        folded=rows_folded,
        row_protected=lambda j: bool(j.get("protected_facility")),
    )
    for i in range(len(juris)):
        grid.equal(("jurisdictions", i, "issued"), [("jurisdictions", i, k) for k in kinds])
    extra = (
        {"released": "died"} if rows_folded and not totals_folded else ({} if rows_folded else None)
    )
    _column_sums(grid, "totals", 0, "jurisdictions", len(juris), counts + kinds, extra)
    facs = r.get("facilities") or []
    _rows_table(
        grid,
        "facilities",
        facs,
        counts,
        partition=("issued", outcomes),
        folded=rows_folded,
        row_protected=_facility_protected,
        name_of=lambda f: f"{f.get('facility')}, {f.get('city')}",
    )
    _column_sums(grid, "totals", 0, "facilities", len(facs), counts, extra)
    by_jid: dict[str, Any] = {}
    for i, f in enumerate(facs):
        by_jid.setdefault(f.get("jurisdiction_id"), []).append(i)
    for j_index, j in enumerate(juris):
        members = by_jid.get(j.get("id"))
        if members:
            for c in counts:
                if rows_folded and c == "died":
                    continue
                grid.equal(("jurisdictions", j_index, c), [("facilities", i, c) for i in members])
    doubt = (r.get("fidelity") or {}).get("doubtful_facilities") or []
    index = {(f.get("facility"), f.get("city")): i for i, f in enumerate(facs)}
    for i, d in enumerate(doubt):
        grid.cell(
            ("doubtful", i, "detainers"),
            d,
            "detainers",
            sensitive=_facility_protected(d),
            label=f"doubtful[{d.get('facility')}].detainers",
        )
        if (d.get("facility"), d.get("city")) in index:
            grid.equal(
                ("doubtful", i, "detainers"),
                [("facilities", index[(d.get("facility"), d.get("city"))], "issued")],
            )
    for i, u in enumerate((r.get("fidelity") or {}).get("unknown_ncic_categories") or []):
        grid.cell(
            ("ncic", i, "detainers"),
            u,
            "detainers",
            sensitive=True,
            label=f"unknown_ncic[{u.get('category')}].detainers",
        )
    _declined_grid(grid, r.get("declined") or {}, totals)
    return grid


TIER_CONVICTED = [
    "violent_or_sex",
    "other_serious",
    "drugs",
    "dui_traffic",
    "other",
    "immigration_only",
    "convicted_code_unknown",
]


def _declined_grid(grid: Grid, d: dict[str, Any], totals: dict[str, Any]) -> None:
    """Section II: rows of tiers, threat levels and aggravated felony for declined detainers."""
    tiers = d.get("tiers") or []
    keys = d.get("row_keys") or []
    if not keys:
        return
    threat = [k for k in keys if k.startswith("threat_level_")]
    rows: list[tuple[str, int | str, Any, Any, Any]] = [
        ("II", i, row.get("name") or row.get("id"), row.get("declined"), row.get("mix"))
        for i, row in enumerate(d.get("by_jurisdiction") or [])
    ]
    pooled = d.get("pooled")
    if pooled:
        rows.append(("II", "pooled", "pooled", pooled.get("declined"), pooled.get("mix")))
    declined_total = d.get("total")
    rows.append(("II", "total", "all jurisdictions", declined_total, d.get("mix")))
    for table, i, name, declined, mix in rows:
        dkey = (table, i, "declined")
        grid.values[dkey] = int(declined or 0)
        grid.label[dkey] = f"II[{name}].declined"
        if mix is None:
            for k in keys + ["not_aggravated_felony"]:
                grid.hide((table, i, k), None, label=f"II[{name}].{k} (not shown)")
        else:
            for k in list(mix):
                grid.cell(
                    (table, i, k), mix, k, sensitive=is_person_attribute(k), label=f"II[{name}].{k}"
                )
            grid.hide(
                (table, i, "not_aggravated_felony"),
                None,
                sensitive=True,
                label=f"II[{name}].declined without aggravated felony (not shown)",
            )
        grid.equal(dkey, [(table, i, t) for t in tiers])
        if threat:
            grid.equal(dkey, [(table, i, t) for t in threat])
        grid.equal(dkey, [(table, i, "aggravated_felony"), (table, i, "not_aggravated_felony")])
        grid.equal((table, i, "convicted"), [(table, i, t) for t in TIER_CONVICTED])
    members = [i for _, i, *_ in rows if i != "total"]
    if members:
        for k in keys:
            grid.equal(("II", "total", k), [("II", i, k) for i in members])
    issued_mix = d.get("issued_mix")
    if issued_mix:
        for t in tiers:
            grid.cell(("II", "issued", t), issued_mix, t, sensitive=True, label=f"II[issued].{t}")
        grid.equal(("totals", 0, "issued"), [("II", "issued", t) for t in tiers])


def profile_grid(p: dict[str, Any]) -> Grid:
    grid = Grid()
    outcomes = _outcomes()
    folded = ((p.get("disclosure") or {}).get("deaths") or {}).get("rows") == "folded"
    counts = ["issued", *outcomes]
    name = p.get("name") or p.get("id")
    subject = p.get("jurisdiction_type") in (None, *SUBJECT_TYPES)
    _rows_table(
        grid,
        "totals",
        [p.get("totals") or {}],
        counts,
        partition=("issued", outcomes),
        subject_protected=subject,
        folded=folded,
        name_of=lambda _: name,
    )
    extra: dict[str, Any] | None = {} if folded else None
    for table in ("by_year", "by_month"):
        rows = p.get(table) or []
        _rows_table(
            grid,
            table,
            rows,
            counts,
            partition=("issued", outcomes),
            subject_protected=subject,
            folded=folded,
            name_of=lambda r: f"{name} {r.get('year') or r.get('month')}",
        )
        _column_sums(grid, "totals", 0, table, len(rows), counts, extra)
    years = {str(y.get("year")): i for i, y in enumerate(p.get("by_year") or [])}
    months: dict[str, Any] = {}
    for i, m in enumerate(p.get("by_month") or []):
        months.setdefault(str(m.get("month", ""))[:4], []).append(i)
    for year, yi in years.items():
        if year in months:
            for c in counts:
                if folded and c == "died":
                    continue
                grid.equal(("by_year", yi, c), [("by_month", i, c) for i in months[year]])
    facs = p.get("facilities") or []
    fcounts = counts if any("issued" in f for f in facs) else ["detainers"]
    _rows_table(
        grid,
        "facilities",
        facs,
        fcounts,
        partition=("issued", outcomes) if fcounts is counts else None,
        folded=folded,
        row_protected=_facility_protected,
        name_of=lambda f: f"{f.get('facility')}, {f.get('city')}",
    )
    if fcounts is counts:
        _column_sums(grid, "totals", 0, "facilities", len(facs), counts, extra)
    else:
        grid.equal(
            ("totals", 0, "issued"), [("facilities", i, "detainers") for i in range(len(facs))]
        )
    return grid


def rows_grid(
    rows: list[dict[str, Any]], table: str = "rows", *, total: dict[str, Any] | None = None
) -> Grid:
    """A plain list of rows (API lists, the SQLite tables, CSVs): person-attribute columns,
    protected facilities, and the outcome partition where the row has one."""
    grid = Grid()
    outcomes = _outcomes()
    if not rows:
        return grid
    columns = [
        c for c in rows[0] if c in ("issued", "detainers", *outcomes) or is_person_attribute(c)
    ]
    partition = ("issued", outcomes) if "issued" in columns and "booked" in columns else None
    folded = any(r.get("died") == withheld_label() for r in rows)
    is_juris = "facility" not in rows[0]  # a jurisdiction's counts are the report's subject
    _rows_table(
        grid,
        table,
        rows,
        columns,
        partition=partition,
        subject_protected=is_juris,
        folded=folded,
        row_protected=lambda r: (
            _truthy(r.get("protected_facility"))
            or _facility_protected(r)
            or protected_facility_name(r.get("name"))
        ),
        name_of=lambda r: (
            r.get("facility")
            or r.get("name")
            or r.get("jurisdiction_name")
            or r.get("jurisdiction_id")
        ),
    )
    return grid


# The figures an audit entry shows for its scope (a county, city or state government), in each
# window: detainers issued = honored + declined + open + ended any other way (withdrawn,
# transferred, released, lifted as wrongly issued, died: their breakdown is not shown).
AUDIT_FIGURES = ["issued", "booked", "declined", "open", "other_outcomes"]


def audit_evidence_grid(
    grid: Grid,
    table: str,
    ev: dict[str, Any],
    outcome_classes: Sequence[str] = ("booked", "declined"),
) -> None:
    """Register one audit entry's evidence: the practice figures of the period and of its latest
    months (each an outcome partition, with the detainers with a recorded outcome as the sum of
    the outcome classes), the latest months as part of the period (equal to it when the windows
    are the same: `recent_is_period`), the facilities in scope (issued, declined; every count at
    a facility for children or a hospital is a person attribute) and the figures by request
    kind, with the sums that tie them to the scope's figures when the evidence says the lists are
    complete (a reader could otherwise subtract)."""
    whole, latest = f"{table}.period", f"{table}.latest"
    recent = ev.get("recent") or {}
    columns = [*AUDIT_FIGURES, "with_outcome"]
    classes = list(outcome_classes)
    facs = ev.get("facilities") or []
    # a scope whose every facility is for children or a hospital: its figures are theirs (as a
    # report's jurisdiction row whose facilities are all such)
    scope_protected = bool(ev.get("facilities_complete") and facs) and all(
        _facility_protected(f) for f in facs
    )
    for name, row in ((whole, ev), (latest, recent)):
        _rows_table(
            grid,
            name,
            [row],
            columns,
            partition=("issued", AUDIT_FIGURES[1:]),
            subject_protected=True,
            row_protected=lambda _: scope_protected,
            name_of=lambda _: "figures",
        )
        if set(classes) <= set(AUDIT_FIGURES[1:]):
            grid.equal((name, 0, "with_outcome"), [(name, 0, c) for c in classes])
    for c in columns:
        if ev.get("recent_is_period"):
            grid.equal((whole, 0, c), [(latest, 0, c)])
            continue
        # the months before the latest ones: never shown, known to be >= 0
        period_n, latest_n = ev.get(c), recent.get(c)
        earlier = (f"{table}.earlier", 0, c)
        grid.hide(
            earlier,
            period_n - latest_n  # known to the library when both are counts, not labels
            if type(period_n) is int and type(latest_n) is int
            else None,
            label=f"{table}.before the latest months.{c} (not shown)",
        )
        grid.equal((whole, 0, c), [(latest, 0, c), earlier])
    _rows_table(
        grid,
        f"{table}.facilities",
        facs,
        ["issued", "declined"],
        row_protected=_facility_protected,
        name_of=lambda f: f"{f.get('facility')}, {f.get('city')}",
    )
    if ev.get("facilities_complete"):
        _column_sums(grid, whole, 0, f"{table}.facilities", len(facs), ["issued", "declined"])
    kinds = ev.get("by_request") or []
    _rows_table(
        grid,
        f"{table}.by_request",
        kinds,
        ["issued", "booked", "declined"],
        subject_protected=True,
        row_protected=lambda _: scope_protected,
        name_of=lambda k: k.get("request_kind"),
    )
    if ev.get("by_request_complete"):
        _column_sums(
            grid, whole, 0, f"{table}.by_request", len(kinds), ["issued", "booked", "declined"]
        )


def audit_grid(audit: dict[str, Any]) -> Grid:
    grid = Grid()
    classes = (audit.get("practice_rule") or {}).get("outcome_classes") or ["booked", "declined"]
    for e in audit.get("entries") or []:
        if isinstance(e, dict) and isinstance(e.get("evidence"), dict):
            audit_evidence_grid(grid, f"entry {e.get('row')}", e["evidence"], classes)
    return grid


def _audit_shares(ev: dict[str, Any]) -> None:
    """A share or interval computed from a cell now withheld is withheld with it."""
    for s in (ev, ev.get("recent") or {}):
        if not all(
            isinstance(s.get(k), int) and not isinstance(s.get(k), bool)
            for k in ("booked", "declined", "with_outcome")
        ):
            for k in ("declined_share", "ci95_low", "ci95_high"):
                if k in s:
                    s[k] = None


def protect_audit_evidence(ev: dict[str, Any], outcome_classes: Sequence[str]) -> dict[str, Any]:
    """Protect one audit entry's evidence in place before its figures are written as text (the
    audit's sentences quote them); protect(audit, "audit") checks the whole audit again."""
    if not enabled():
        return ev
    grid = Grid()
    audit_evidence_grid(grid, "entry", ev, outcome_classes)
    grid.protect()
    grid.write_back()
    _audit_shares(ev)
    return ev


# ---- applying it -----------------------------------------------------------------------------


def _is_rows(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(x, dict) for x in value)


@overload
def protect(obj: dict[str, Any], kind: str, *, coarse_deaths: bool = False) -> dict[str, Any]: ...
@overload
def protect(obj: list[Any], kind: str, *, coarse_deaths: bool = False) -> list[Any]: ...
def protect(obj: Any, kind: str, *, coarse_deaths: bool = False) -> Any:
    """The disclosure function. kind: 'report', 'profile', 'custody', 'rows' (a list of rows:
    API lists, SQLite tables), 'audit' or 'tables' (an object whose lists of rows are each a
    table: the audit, what followed detainers), 'plain' (no counts about people: sources, policies,
    totals of the store). Returns the output marked as checked."""
    # the rules are asked for per table and cell: read their file's state once
    with steady(), collector_paused():
        return _protect(obj, kind, coarse_deaths=coarse_deaths)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the block. A grid is tens of thousands of
    small tuples, sets and lists, all alive until the end; each burst of them set off another
    full collection, which walks every object of the process (the report's rows, the store's
    results, the modules): a third of a national report's disclosure step (issue 16). The grid
    makes no reference cycles, so nothing waits longer to be freed. Only the call that paused it
    restarts it: a nested call leaves it as found; a call in another thread that began while it
    was paused may finish with it running again (slower, never wrong)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _protect(obj: Any, kind: str, *, coarse_deaths: bool = False) -> Any:
    if is_checked(obj):
        return obj
    if not enabled():
        return mark(obj)
    if kind == "report":
        obj.setdefault("disclosure", {})["deaths"] = {
            "rows": "folded",
            "totals": "published" if coarse_deaths else "folded",
        }
        _fold((obj.get("jurisdictions") or []) + (obj.get("other_custody") or []))
        _fold(obj.get("facilities") or [])
        if not coarse_deaths:
            _fold([obj.get("totals") or {}])
        _note(obj)
        hidden_mix = (obj.get("declined") or {}).pop("_pooled_mix", None)
        grid = report_grid(obj)
        _fill_hidden_declined(grid, hidden_mix)
    elif kind in ("profile", "custody"):
        obj.setdefault("disclosure", {})["deaths"] = {"rows": "folded", "totals": "folded"}
        for table in ("by_year", "by_month", "facilities"):
            _fold(obj.get(table) or [])
        _fold([obj.get("totals") or {}])
        _note(obj)
        grid = profile_grid(obj)
    elif kind == "rows":
        if any("died" in r for r in obj):
            _fold(obj)
        grid = rows_grid(obj)
    elif kind in ("audit", "tables"):  # every top-level list of rows protected as a table
        if kind == "audit" and isinstance(obj, dict):
            grid = audit_grid(obj)  # each entry's evidence, nested in the entry
            grid.protect()
            grid.write_back()
            for e in obj.get("entries") or []:
                if isinstance(e, dict) and isinstance(e.get("evidence"), dict):
                    _audit_shares(e["evidence"])
        for value in obj.values() if isinstance(obj, dict) else []:
            if _is_rows(value):
                g = rows_grid(value)
                g.protect()
                g.write_back()
        return mark(obj)
    elif kind == "plain":
        return mark(obj)
    else:
        raise ValueError(kind)
    grid.protect()
    grid.write_back()
    if kind == "report":
        _derived(obj)
    return mark(obj)


def _derived(r: dict[str, Any]) -> None:
    """Shares and breakdowns computed from a cell that is now withheld are withheld with it."""

    def num(v: object) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    for j in (r.get("jurisdictions") or []) + (r.get("other_custody") or []):
        if not (num(j.get("issued")) and num(j.get("declined")) and num(j.get("open"))):
            for k in ("declined_share_of_issued", "declined_share_of_closed"):
                j[k] = None
        if not (num(j.get("booked")) and num(j.get("open")) and num(j.get("issued"))):
            j["booked_share_of_closed"] = None
        if not num(j.get("declined")):
            j["declined_hold_requests"] = j["declined_notification_requests"] = withheld_label()
    t = r.get("totals") or {}
    if not num(t.get("declined")):
        t["declined_hold_requests"] = t["declined_notification_requests"] = withheld_label()
    fid = r.get("fidelity") or {}
    if "open_share" in fid and not (num(t.get("open")) and num(t.get("issued"))):
        fid["open_share"] = None


def _note(obj: dict[str, Any]) -> None:
    obj["disclosure"].update(
        {
            "rules": "hand/disclosure.yaml",
            "small_cells": f"counts of people by a person attribute (criminal history, threat level, "
            f"U.S. citizenship, death in custody; any count at a facility for children "
            f"or a hospital) of 1-{small_max()} are shown as {small_label()}; "
            f"{withheld_label()} marks a cell withheld so that no {small_label()} can "
            "be worked out from the others",
            "deaths_note": "deaths in custody are published only by state and year or coarser; "
            "elsewhere they are counted with releases and the died column is withheld",
        }
    )


def _fill_hidden_declined(grid: Grid, hidden_mix: dict[str, Any] | None) -> None:
    """Section II's hidden cells are known to the library: the detainers declined without an
    aggravated felony, and the mix of a pooled row withheld whole. Giving the grid their true
    values lets it protect them as cells of people."""
    for key in list(grid.hidden):
        table, i, column = key
        if table != "II":
            continue
        num: Callable[[object], bool] = lambda v: isinstance(v, int) and not isinstance(v, bool)  # noqa: E731
        if column == "not_aggravated_felony":
            agg = (table, i, "aggravated_felony")
            if agg in grid.values:
                grid.values[key] = grid.values[(table, i, "declined")] - grid.values[agg]
            elif hidden_mix and i == "pooled" and num(hidden_mix.get("aggravated_felony")):
                grid.values[key] = hidden_mix["declined"] - hidden_mix["aggravated_felony"]
        elif hidden_mix and i == "pooled" and num(hidden_mix.get(column)):
            grid.values[key] = hidden_mix[column]


# ---- checking published output ---------------------------------------------------------------


def json_safe(obj: Any) -> Any:
    """A JSON round trip (dates to text) that keeps the mark."""
    import json

    plain = json.loads(json.dumps(obj, default=str))
    return mark(plain) if is_checked(obj) else plain


def check_object(obj: Any, where: str) -> list[Finding]:
    """Findings in one published JSON object (report, profile, API answer)."""
    if isinstance(obj, dict) and "declined" in obj and "totals" in obj and "jurisdictions" in obj:
        return findings(report_grid(obj), where)
    if isinstance(obj, dict) and "by_month" in obj and "totals" in obj:
        return findings(profile_grid(obj), where)
    if isinstance(obj, dict) and "facilities" in obj and "totals" in obj:
        return findings(profile_grid(obj), where)
    out = []
    if isinstance(obj, dict) and "entries" in obj and "verdicts" in obj:  # an audit
        out += findings(audit_grid(obj), where)
        for k, v in obj.items():
            if k != "entries" and _is_rows(v):
                out += findings(rows_grid(v), f"{where}.{k}")
        return out
    if _is_rows(obj):
        return findings(rows_grid(obj), where)
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                out += check_object(v, f"{where}.{k}")
    return out


def export_grid(tables: dict[str, Any]) -> Grid:
    """The SQLite export: jurisdiction-years and facilities, tied by jurisdiction (a
    jurisdiction's years add up to its facilities' counts over the whole store)."""
    grid = Grid()
    outcomes = _outcomes()
    counts = ["issued", *outcomes]
    years = tables.get("jurisdiction_years") or []
    facs = tables.get("facilities") or []
    folded = any(r.get("died") == withheld_label() for r in years + facs)
    _rows_table(
        grid,
        "jurisdiction_years",
        years,
        counts,
        partition=("issued", outcomes),
        subject_protected=True,
        folded=folded,
        row_protected=lambda r: bool(r.get("protected_facility")),
        name_of=lambda r: f"{r.get('jurisdiction_id')} {r.get('year')}",
    )
    _rows_table(
        grid,
        "facilities",
        facs,
        counts,
        partition=("issued", outcomes),
        folded=folded,
        row_protected=_facility_protected,
        name_of=lambda r: f"{r.get('facility')}, {r.get('city')}",
    )
    by_j: dict[str, Any] = {}
    for i, r in enumerate(years):
        by_j.setdefault(r.get("jurisdiction_id"), ([], []))[0].append(i)
    for i, r in enumerate(facs):
        if r.get("jurisdiction_id") in by_j:
            by_j[r.get("jurisdiction_id")][1].append(i)
    for ys, fs in by_j.values():
        if not fs:
            continue
        for c in counts:
            if folded and c == "died":
                continue
            keys = [("jurisdiction_years", i, c) for i in ys] + [("facilities", i, c) for i in fs]
            if all(grid._known(k) for k in keys):
                grid.constraints.append(
                    [(("jurisdiction_years", i, c), 1) for i in ys]
                    + [(("facilities", i, c), -1) for i in fs]
                )
    return grid


def protect_export(tables: dict[str, Any]) -> dict[str, Any]:
    """The disclosure function for the SQLite export (tables of row dicts, protected together)."""
    if not enabled():
        return {k: mark(v) for k, v in tables.items()}
    _fold(tables.get("jurisdiction_years") or [])
    _fold(tables.get("facilities") or [])
    grid = export_grid(tables)
    grid.protect()
    grid.write_back()
    return {k: mark(v) for k, v in tables.items()}
