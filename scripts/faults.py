"""Run the scraper fault matrix against a local fault-injecting server and print the table (issue 8).

    python scripts/faults.py            # every fault
    python scripts/faults.py gzip_bomb  # some of them

For each fault: a fresh database that already holds articles (including the failing feed's own
earlier ones), then the fault feed scraped together with a good feed. Columns: the error class the
fault ended as (as stored in `fetches`), whether it was retried (and after how long), whether the
other feed went through, stored articles lost or changed (must be 0), and PRAGMA integrity_check.
Exit status 1 when any row was lost or any outcome was not the expected one.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "tests"), str(Path(__file__).resolve().parent.parent)]

from faultserver import FAULTS, FAULTS_BY_NAME, MATRIX_POLICY, FaultServer, run_fault  # noqa: E402

COLUMNS = ("fault", "outcome", "expected", "retried", "other feeds ok", "rows lost", "integrity", "time")


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in FAULTS_BY_NAME]
    if unknown:
        print(f"unknown fault(s): {', '.join(unknown)}; known: {', '.join(FAULTS_BY_NAME)}", file=sys.stderr)
        return 2
    faults = [FAULTS_BY_NAME[name] for name in names] or list(FAULTS)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="narrative-faults-") as folder, FaultServer() as server:
        results = [run_fault(server, fault, Path(folder) / f"{fault.name}.db", MATRIX_POLICY) for fault in faults]
    rows = [(r.fault, r.outcome, r.expected, r.retried, "y" if r.other_feeds_ok else "N", str(r.rows_lost),
             r.integrity, f"{r.seconds:.2f}s") for r in results]
    print_table(rows)
    failed = [r for r in results if r.problems]
    for result in failed:
        print(f"FAIL {result.fault}: {'; '.join(result.problems)}")
    print(f"{len(results)} faults, {len(failed)} failed, {sum(r.rows_lost for r in results)} rows lost "
          f"({time.monotonic() - started:.1f}s; policy: connect {MATRIX_POLICY.connect_timeout:g}s, read "
          f"{MATRIX_POLICY.read_timeout:g}s, total {MATRIX_POLICY.total_timeout:g}s, cap {MATRIX_POLICY.max_bytes} B, "
          f"{MATRIX_POLICY.max_retries} retry)")
    return 1 if failed else 0


def print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(COLUMNS[i]), *(len(row[i]) for row in rows)) for i in range(len(COLUMNS))]
    print(" | ".join(name.ljust(width) for name, width in zip(COLUMNS, widths)))
    print("-+-".join("-" * width for width in widths))
    for row in rows:
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
