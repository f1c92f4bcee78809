"""Derive src/detainerwatch/data/facility_sample.csv (DETLOC code, name, city, state) from the
real ICE facility list bundled in data/raw/uwchr-ice-facilities/facil-list.csv.gz, for `synth`."""

import csv
import gzip
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
with gzip.open(
    ROOT / "data/raw/uwchr-ice-facilities/facil-list.csv.gz", "rt", encoding="utf-8"
) as fh:
    rows = [r for r in csv.DictReader(fh, delimiter="|") if r["detloc"] and r["state"]]
with open(
    ROOT / "src/detainerwatch/data/facility_sample.csv", "w", newline="", encoding="utf-8"
) as fh:
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(["detloc", "name", "city", "state", "aor"])
    for r in rows:
        writer.writerow(
            [
                r["detloc"].strip(),
                r["name"].strip(),
                r["city"].strip(),
                r["state"].strip(),
                r["aor"].strip(),
            ]
        )
print(len(rows))
