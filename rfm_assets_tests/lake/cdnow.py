"""The CDNOW sample bundled with ``lifetimes`` as a CSV for the generic mapping (read from the installed
package, never downloaded).

``CDNOW_sample.txt`` is whitespace-separated: customer id, customer index, ``yyyymmdd`` date, number of
CDs, dollar value; 2,357 customers acquired January to March 1997, purchases 1997-01 .. 1998-06.
"""

import csv
from importlib import resources
from pathlib import Path

COLUMNS = "customer_id=cust,order_date=dt,amount=amt"  # RFM_COLUMNS for the CSV below
FIRST_MONTH, LAST_MONTH = "1997-01", "1998-06"


def write_cdnow_csv(out: Path) -> tuple[Path, int]:
    """Write the sample as ``cust,dt,cds,amt`` (ISO dates) to ``out``; returns (path, lines written)."""
    text = (resources.files("lifetimes.datasets") / "CDNOW_sample.txt").read_text()
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with out.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["cust", "dt", "cds", "amt"])
        for line in text.splitlines():
            if not line.strip():
                continue
            cust, _index, day, cds, amount = line.split()
            writer.writerow([cust, f"{day[:4]}-{day[4:6]}-{day[6:]}", cds, amount])
            n += 1
    return out, n
