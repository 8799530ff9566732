#!/usr/bin/env python3
"""Convert a tm-neutral/v1 architecture (../shared/bench/pytm_gen.py --neutral-out) into a
threatscribe model file (JSON), so both tools analyse the same synthetic system.

Usage: neutral_to_model.py NEUTRAL.json > model.json
"""
import json
import re
import sys

KIND = {
    "actor": "external_entity",
    "external_entity": "external_entity",
    "server": "process",
    "process": "process",
    "lambda": "process",
    "datastore": "data_store",
}
# Role -> (technologies, tags). Technologies only where the neutral model names the product.
ROLE = {
    "customer": ([], ["browser"]),
    "admin": ([], ["browser", "privileged-user"]),
    "web_frontend": ([], ["http-server"]),
    "api_service": ([], ["http-server"]),
    "api_gateway": ([], ["http-server"]),
    "load_balancer": ([], []),
    "log_store": ([], ["logs"]),
}
BOUNDARY_KIND = {
    "Internet": "internet",
    "Partner Network": "saas",
    "Corporate Network": "on_premises",
    "AWS VPC": "cloud",
}
CLASSIFICATION = {"PUBLIC": "public", "RESTRICTED": "internal", "SENSITIVE": "confidential", "SECRET": "restricted", "TOP_SECRET": "restricted"}


def ident(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed"


def main(path):
    neutral = json.load(open(path))
    boundaries, elements = [], []
    for e in neutral["elements"]:
        if e["kind"] == "boundary":
            boundaries.append({
                "id": "b-" + ident(e["name"]),
                "name": e["name"],
                "kind": BOUNDARY_KIND.get(e["name"], "network"),
                **({"parent": "b-" + ident(e["boundary"])} if e["boundary"] else {}),
            })
            continue
        attributes = e.get("attributes", {})
        technologies, tags = ROLE.get(e["role"], ([], []))
        technologies = list(technologies)
        if e["role"] == "sql_db" and str(attributes.get("protocol", "")).lower() == "mysql":
            technologies.append("mysql")
        if attributes.get("onAWS") and e["kind"] == "server":
            technologies.append("aws-ec2")
        element = {"id": ident(e["name"]), "name": e["name"], "kind": KIND[e["kind"]], "technologies": technologies, "tags": list(tags)}
        if e["boundary"]:
            element["boundary"] = "b-" + ident(e["boundary"])
        elements.append(element)
    data = [{"id": ident(d["name"]), "name": d["name"], "classification": CLASSIFICATION.get(d["classification"], "internal")} for d in neutral["data"]]
    flows = []
    seen = set()
    for f in neutral["flows"]:
        if f.get("is_response"):
            continue
        flow_id = ident(f["name"])
        while flow_id in seen:
            flow_id += "-x"
        seen.add(flow_id)
        flows.append({
            "id": flow_id,
            "from": ident(f["source"]),
            "to": ident(f["sink"]),
            "protocol": f["protocol"].lower() if f.get("protocol") else None,
            "data": [ident(d) for d in f.get("data", [])],
            "properties": {"encrypted": bool(f.get("encrypted")), "authenticated": bool(f.get("authenticated"))},
        })
        if flows[-1]["protocol"] is None:
            del flows[-1]["protocol"]
    json.dump({"name": neutral["name"], "description": neutral.get("description"), "elements": elements, "flows": flows,
               "boundaries": boundaries, "data_assets": data}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
