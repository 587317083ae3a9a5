"""What check-torch-lines.py and check-benchdnn-lines.py share.

Both read the JSON lines of goodhart-repro-lines on stdin, check each
record's repro line with their own model of the vendor's tool, and report
every line that fails.
"""
import json
import sys


class Wrong(Exception):
    """A line the tool would refuse, or read as another problem."""


def need(cond, what):
    if not cond:
        raise Wrong(what)


def check_all(check, label, where):
    """Runs `check(record)` on each record with a repro line; prints every
    failure (`where(record)`, the error, the line) and a summary counting
    `label` lines. Returns the exit status: 1 when any failed."""
    failures, checked, without = [], 0, 0
    for raw in sys.stdin:
        record = json.loads(raw)
        if not record["repro"]:
            without += 1
            continue
        checked += 1
        try:
            check(record)
        except Exception as e:  # a line that does not run is the finding
            failures.append(f"{where(record)}: {type(e).__name__}: {e}\n"
                            f"  {record['repro']}")
    for f in failures:
        print("FAILED " + f)
    print(f"{label} lines: {checked} checked, {len(failures)} failed, "
          f"{without} layers without a line")
    return 1 if failures else 0
