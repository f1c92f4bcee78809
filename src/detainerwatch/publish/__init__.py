"""Published outputs: reports, profiles, audits, charts, maps, and the catalog the web uses.
Every function here reads the store; none writes person-level rows anywhere."""
