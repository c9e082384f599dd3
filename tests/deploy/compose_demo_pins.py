#!/usr/bin/env python3
"""The compose demo's pins must be those of the logs it watches.

deploy/pinwatch/demo.yaml names ctsim's CA and key by their pins, and docker-compose.yml
starts ctsim and ctsim-static with their seeds and plants. This runs ctsim
(--generate-only) with exactly the compose file's arguments and checks that the config's allowed issuer, known key and
pin-set are the planted certificates' own, and that the renewal's new key and the rogue CA
are neither: if someone changes the plants or the simulator's PKI, this says so here rather
than as a puzzling demo.

    compose_demo_pins.py SOURCE_DIR CTSIM
"""
import json
import subprocess
import sys
import tempfile

import yaml

src, ctsim = sys.argv[1], sys.argv[2]
with open(f"{src}/docker-compose.yml") as f:
    compose = yaml.safe_load(f)
with open(f"{src}/deploy/pinwatch/demo.yaml") as f:
    config = yaml.safe_load(f)

# Serving flags do not change a log; --grow only adds entries after the start.
skip = {"--host", "--port", "--public-url", "--origin", "--log-list-api", "--grow", "--grow-interval-ms"}
plants_of_all = []
for service in ("ctsim", "ctsim-static"):
    args = [str(a) for a in compose["services"][service]["command"]]
    keep = []
    i = 0
    while i < len(args):
        if args[i] in skip:
            i += 2
            continue
        keep.append(args[i])
        i += 1
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([ctsim, *keep, "--generate-only", "--facts-out", f"{tmp}/facts.json"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(f"{tmp}/facts.json") as f:
            plants_of_all += json.load(f)["plants"]
facts = {"plants": plants_of_all}

by_key = {}
for p in facts["plants"]:
    by_key.setdefault(p["key"], p)
watch = config["watch"][0]
pinset = config["pinsets"][0]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


known, new, rogue = by_key["key-a"], by_key["key-b"], next(p for p in facts["plants"] if p["issuer"] == "rogue")
check(known["issuer_spki_sha256"] in watch["allowed_issuers"], "allowed_issuers has the CA of the known-key plants")
check(known["leaf_spki_sha256"] in watch["known_keys"], "known_keys has key-a's pin")
check(known["leaf_spki_sha256"] in pinset["pins"], "pin-set api pins key-a")
check(new["issuer_spki_sha256"] == known["issuer_spki_sha256"], "the renewal (key-b) is from the same, allowed CA")
check(new["leaf_spki_sha256"] not in watch["known_keys"] + pinset["pins"], "key-b is new to the config (to be proposed)")
check(rogue["issuer_spki_sha256"] not in watch["allowed_issuers"], "the rogue CA is not allowed")
check(all(n.endswith("." + watch["name"]) for p in facts["plants"] for n in p["names"]), "every plant is under the watched name")
sys.exit(1 if failures else 0)
