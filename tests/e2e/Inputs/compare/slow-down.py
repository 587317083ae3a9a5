#!/usr/bin/env python3
"""Makes a stored measurement slower, as a slow machine would have measured it.

    slow-down.py DB RUN LAYER FACTOR [FIELD=VALUE ...]

Multiplies the samples, median, minimum and interval of layer LAYER of every
variant of run RUN by FACTOR; FIELD=VALUE pairs overwrite columns of the run
(library_version=9.9 makes it another stack). For compare-confirm.test.
"""
import json
import sqlite3
import sys


def main():
    db, run, layer, factor = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    con = sqlite3.connect(db)
    rows = con.execute(
        "select l.id, l.samples_json from layer_measurements l join variants v "
        "on v.id = l.variant_id where v.run_id = ? and l.layer_name = ?",
        (run, layer)).fetchall()
    if not rows:
        sys.exit(f"slow-down.py: no layer {layer} in run {run}")
    for row_id, samples in rows:
        slower = [s * factor for s in json.loads(samples)]
        con.execute(
            "update layer_measurements set samples_json = ?, median_ns = median_ns * ?, "
            "min_ns = min_ns * ?, mean_ns = mean_ns * ?, ci_low_ns = ci_low_ns * ?, "
            "ci_high_ns = ci_high_ns * ? where id = ?",
            (json.dumps(slower), factor, factor, factor, factor, factor, row_id))
    for pair in sys.argv[5:]:
        field, value = pair.split("=", 1)
        con.execute(f"update runs set {field} = ? where id = ?", (value, run))
    con.commit()


if __name__ == "__main__":
    main()
