#!/usr/bin/env python3
"""Rebuilds every variant of some manifests from its goodhart-opt line.

For each manifest given, each variant's `repro` (the goodhart-opt line that
rebuilds it from the source model, a retype first) is run, and the model it
writes is planned again (`goodhart generate --count 0`); the reproducer holds
when that plan's canonical hash is the variant's. Prints one line per
variant that fails and a summary; exits 1 if any failed.
"""
import json
import os
import subprocess
import sys
import tempfile


def main():
    failures, done = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for manifest_path in sys.argv[1:]:
            manifest = json.load(open(manifest_path))
            for v in manifest["variants"]:
                done += 1
                where = f"{manifest_path}: {v['id']} {v['mutations']}"
                if not v.get("repro"):
                    failures.append(f"{where}: no goodhart-opt line")
                    continue
                model = os.path.join(tmp, f"{done}.mlir")
                run = subprocess.run(f"{v['repro']} -o {model}", shell=True,
                                     capture_output=True, text=True)
                if run.returncode:
                    failures.append(f"{where}: {v['repro']}: "
                                    f"{run.stderr.strip()[:400]}")
                    continue
                plans = os.path.join(tmp, f"{done}.plans")
                run = subprocess.run(
                    ["goodhart", "generate", model, "--count", "0",
                     "--identity-variants", "0", "--out", plans],
                    capture_output=True, text=True)
                if run.returncode:
                    failures.append(f"{where}: {run.stderr.strip()[:400]}")
                    continue
                got = json.load(open(os.path.join(plans, "manifest.json")))
                got = got["reference"]["canonical_hash"]
                if got != v["canonical_hash"]:
                    failures.append(f"{where}: rebuilt as {got}, generated "
                                    f"as {v['canonical_hash']}: {v['repro']}")
    for f in failures:
        print("FAILED " + f)
    print(f"variants: {done - len(failures)} of {done} rebuilt from their "
          "goodhart-opt line")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
