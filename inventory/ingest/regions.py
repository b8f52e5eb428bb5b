"""Online Retail II countries -> fulfilment warehouses.

The data set records the customer's country, not a warehouse. The default rule groups the 43
countries into three regions, each served by one warehouse, because a few hundred lines a year
from Bahrain or Brazil are too thin to forecast as a location of their own:

- `UK`  United Kingdom, and the Channel Islands (shipped as domestic UK post);
- `EU`  the EU member states in the data (including `EIRE` and `European Community`) plus the
        EFTA countries Switzerland, Norway and Iceland: shipped from a continental hub;
- `ROW` everything else, including `Unspecified` and any country not listed.

Change it per import with `import_sales --country-map FILE` (JSON object `{"Country": "CODE",
..., "*": "DEFAULT"}` or a CSV with columns `country,warehouse`), or for every import with the
setting `STOCKCAST_COUNTRY_WAREHOUSES` (a dict in that shape, or a path to such a file). A map
that lists a country replaces the default for that country; `*` sets the fallback.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

UK_COUNTRIES = {"United Kingdom", "Channel Islands"}
EU_COUNTRIES = {
    "Austria", "Belgium", "Bulgaria", "Croatia", "Cyprus", "Czech Republic", "Denmark", "EIRE", "Estonia",
    "European Community", "Finland", "France", "Germany", "Greece", "Hungary", "Italy", "Latvia", "Lithuania",
    "Luxembourg", "Malta", "Netherlands", "Poland", "Portugal", "Romania", "Slovakia", "Slovenia", "Spain",
    "Sweden", "Switzerland", "Norway", "Iceland",
}
WAREHOUSE_NAMES = {"UK": "United Kingdom", "EU": "Europe (EU and EFTA)", "ROW": "Rest of world"}
DEFAULT_CODE = "ROW"


def default_map() -> dict[str, str]:
    mapping = {c: "UK" for c in UK_COUNTRIES} | {c: "EU" for c in EU_COUNTRIES}
    mapping["*"] = DEFAULT_CODE
    return mapping


def load_map(source) -> dict[str, str]:
    """A dict, or a path to a JSON object / CSV (country,warehouse), merged over the default map."""
    if source is None:
        return default_map()
    if isinstance(source, dict):
        extra = source
    else:
        path = Path(source)
        if path.suffix.lower() == ".json":
            extra = json.loads(path.read_text())
            if not isinstance(extra, dict):
                raise ValueError(f"{path}: expected a JSON object mapping country to warehouse code")
        else:
            with path.open(newline="") as handle:
                reader = csv.DictReader(handle)
                if not reader.fieldnames or {"country", "warehouse"} - set(reader.fieldnames):
                    raise ValueError(f"{path}: expected CSV columns country,warehouse")
                extra = {row["country"].strip(): row["warehouse"].strip() for row in reader}
    bad = [k for k, v in extra.items() if not isinstance(v, str) or not v.strip() or len(v.strip()) > 32]
    if bad:
        raise ValueError(f"country map: warehouse code must be 1-32 characters for {bad[:5]}")
    return default_map() | {k.strip(): v.strip() for k, v in extra.items()}


def warehouse_name(code: str) -> str:
    return WAREHOUSE_NAMES.get(code, code)
