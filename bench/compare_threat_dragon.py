#!/usr/bin/env python3
"""Compare the threats people wrote in Threat Dragon files with threatscribe's findings.

For each file: the human-written threats whose type is a STRIDE category, how many of them
threatscribe also finds (a finding on the same element or flow in the same STRIDE category),
and the (element, category) pairs threatscribe finds that the file does not cover.

    cargo build --release
    python3 bench/compare_threat_dragon.py FILE.json [FILE.json ...]
"""

import json
import subprocess
import sys

STRIDE = {
    "spoofing": "spoofing",
    "tampering": "tampering",
    "repudiation": "repudiation",
    "information disclosure": "information_disclosure",
    "denial of service": "denial_of_service",
    "elevation of privilege": "elevation_of_privilege",
}


def cells(diagram):
    if "cells" in diagram:
        for cell in diagram["cells"]:
            data = cell.get("data") or {}
            name = data.get("name") or (cell.get("attrs", {}).get("text") or {}).get("text") or ""
            yield cell.get("shape"), " ".join(name.split()), data.get("threats") or []
    else:
        for cell in (diagram.get("diagramJson") or {}).get("cells", []):
            shape = {"tm.Flow": "flow"}.get(cell.get("type"), "element")
            name = cell.get("name") or (cell.get("attrs", {}).get("text") or {}).get("text")
            if not name and cell.get("labels"):
                name = cell["labels"][0]["attrs"]["text"]["text"]
            yield shape, " ".join((name or "").split()), cell.get("threats") or []


def compare(path):
    model = json.load(open(path))
    out = subprocess.run(
        ["target/release/threatscribe", "analyze", path, "--format", "json"],
        capture_output=True, check=True, text=True,
    )
    report = json.loads(out.stdout)
    targets = {}
    for element in report["model"]["elements"]:
        targets.setdefault(element["name"], []).append(element["id"])
    for flow in report["model"]["flows"]:
        targets.setdefault(flow.get("description") or "", []).append(flow["id"])
    ours = set()
    for threat in report["threats"]:
        if not threat["source"].startswith("kb:"):
            continue  # the file's own threats, carried over as provided findings
        for category in threat["categories"]:
            ours.add((threat["target"], category))
    human, found, human_pairs = 0, 0, set()
    for diagram in model["detail"]["diagrams"]:
        for _shape, name, threats in cells(diagram):
            for threat in threats:
                category = STRIDE.get((threat.get("type") or "").strip().lower())
                if category is None:
                    continue
                human += 1
                ids = targets.get(name, [])
                for target in ids:
                    human_pairs.add((target, category))
                if any((target, category) in ours for target in ids):
                    found += 1
    extra = sorted(ours - human_pairs)
    return human, found, len(ours), extra


def main():
    print("| File | Human STRIDE threats | Also found by us | Our (target, category) pairs | Pairs they did not write |")
    print("|---|---|---|---|---|")
    for path in sys.argv[1:]:
        human, found, ours, extra = compare(path)
        print(f"| {path.split('/')[-1]} | {human} | {found} | {ours} | {len(extra)} |")
    for path in sys.argv[1:]:
        _, _, _, extra = compare(path)
        print(f"\n{path.split('/')[-1]}: e.g. " + "; ".join(f"{t} {c}" for t, c in extra[:6]))


if __name__ == "__main__":
    main()
