#!/usr/bin/env python3
"""Compare a `tightlip history --format json --show-secrets` report with a
ground-truth file of planted credentials.

Usage: check-truth.py TRUTH.json REPORT.json

The truth file lists "positives" (each must be reported at its commit,
path and line) and "negatives" (decoys that must not be reported at their
commit, path and line). Prints one line per miss and per false alarm, then
a summary; exits 1 when anything is off.
"""

import json
import sys


def main():
    truth_path, report_path = sys.argv[1:3]
    with open(truth_path) as f:
        truth = json.load(f)
    with open(report_path) as f:
        report = json.load(f)

    located = {}
    for finding in report["findings"]:
        for loc in finding["locations"]:
            key = (loc.get("commit"), loc["path"], loc["line"])
            located.setdefault(key, []).append((finding, loc))

    problems = 0
    for p in truth["positives"]:
        hits = located.get((p["commit"], p["path"], p["line"]), [])
        # A path finding carries the path, not the value, as its secret.
        hits_with_value = [h for h in hits
                           if p["secret"] in h[0]["secret"] or h[0]["kind"] == "path"]
        if not hits:
            other = sorted({(c[:10] if c else None, l) for (c, path, l) in located if path == p["path"]})
            print(f"MISS {p['id']} {p['kind']}: {p['path']}:{p['line']} @ {p['commit'][:10]}"
                  f" (reported on that path at: {other or 'nowhere'})")
            problems += 1
        elif not hits_with_value:
            rules = sorted({h[0]["rule_id"] for h in hits})
            print(f"PARTIAL {p['id']} {p['kind']}: reported by {rules} but the value differs")
            problems += 1
        else:
            loc = hits_with_value[0][1]
            if loc.get("in_head") != p["in_head"]:
                print(f"IN_HEAD {p['id']}: reported {loc.get('in_head')}, expected {p['in_head']}")
                problems += 1
            if p["ref"] not in loc.get("refs", []):
                print(f"REFS {p['id']}: {p['ref']} not among {loc.get('refs', [])[:5]}")
                problems += 1
    for n in truth["negatives"]:
        hits = located.get((n["commit"], n["path"], n["line"]), [])
        if hits:
            rules = sorted({h[0]["rule_id"] for h in hits})
            print(f"FALSE ALARM {n['id']} {n['kind']}: {n['path']}:{n['line']} by {rules}")
            problems += 1

    print(f"{len(truth['positives'])} positives, {len(truth['negatives'])} negatives, "
          f"{len(report['findings'])} findings reported, {problems} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
