#!/usr/bin/env python3
"""Check tightlip against a generated repository with known planted secrets.

The generator (a separate script, passed with --generator) writes a git
repository and a truth file listing every planted secret ("positives", each
with commit, path and line) and every decoy ("negatives"). This script runs
`tightlip history` and `tightlip scan` on it and reports, per entry, whether
tightlip found it (positives) or stayed silent (negatives).

Exit status: 0 when every check passes, 1 otherwise.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def run_json(tightlip, args):
    proc = subprocess.run([tightlip, *args, "--format", "json"],
                          capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"tightlip {' '.join(args)} failed with exit {proc.returncode}:\n"
                 f"{proc.stderr}")
    return json.loads(proc.stdout)


def locations(report):
    """Yield (commit, path, line) for every location of every finding."""
    for finding in report["findings"]:
        for loc in finding["locations"]:
            yield loc.get("commit"), loc["path"], loc["line"]


def check(tightlip, generator, out_dir, extra_args):
    subprocess.run([sys.executable, generator, str(out_dir), *extra_args],
                   check=True, capture_output=True)
    truth = json.loads(Path(f"{out_dir}.truth.json").read_text())
    failures = []

    history = set(locations(run_json(tightlip, ["history", str(out_dir)])))
    for p in truth["positives"]:
        if (p["commit"], p["path"], p["line"]) not in history:
            failures.append(f"history missed {p['id']} {p['kind']} at "
                            f"{p['commit'][:10]} {p['path']}:{p['line']}")
    for n in truth["negatives"]:
        if (n["commit"], n["path"], n["line"]) in history:
            failures.append(f"history reported decoy {n['id']} {n['kind']} at "
                            f"{n['commit'][:10]} {n['path']}:{n['line']}")

    scan = {(path, line) for _, path, line in
            locations(run_json(tightlip, ["scan", str(out_dir)]))}
    for p in truth["positives"]:
        if p["in_head"] and (p["path"], p["line"]) not in scan:
            failures.append(f"scan missed {p['id']} {p['kind']} at "
                            f"{p['path']}:{p['line']}")
    for n in truth["negatives"]:
        if (n["path"], n["line"]) in scan:
            failures.append(f"scan reported decoy {n['id']} {n['kind']} at "
                            f"{n['path']}:{n['line']}")

    total = len(truth["positives"]) + len(truth["negatives"])
    print(f"{' '.join(extra_args) or 'default'}: {len(truth['positives'])} positives, "
          f"{len(truth['negatives'])} negatives, {len(failures)} failures "
          f"over {total} entries")
    for failure in failures:
        print(f"  {failure}")
    return not failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tightlip", required=True, help="path to the binary")
    parser.add_argument("--generator", required=True,
                        help="path to the repository generator script")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for extra in ([], ["--seed", "2", "--filler-commits", "2000"]):
            name = "default" if not extra else "seed2"
            ok &= check(args.tightlip, args.generator, Path(tmp) / name, extra)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
