#!/usr/bin/env python3
"""trustkit-report.py LOG_URL INDEX HOSTNAME [PIN ...]: print the pin-failure report TrustKit
would send for a server presenting the certificate of x509_entry INDEX of the RFC 6962 log
at LOG_URL (its chain from extra_data), from an app that pins PIN... ("sha256/BASE64").
The demo and bench/pin_reports_bench.sh post it to POST /v1/pin-reports. The app-vendor-id
is "CLIENT", for a sender to replace per post."""
import base64, datetime, json, sys, urllib.request

url, index, hostname, pins = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
entry = json.load(urllib.request.urlopen("%sct/v1/get-entries?start=%d&end=%d" % (url, index, index)))["entries"][0]
leaf, extra = base64.b64decode(entry["leaf_input"]), base64.b64decode(entry["extra_data"])
if leaf[10:12] != b"\0\0":
    sys.exit("entry %d is not an x509_entry" % index)
u24 = lambda b, i: int.from_bytes(b[i:i + 3], "big")
pem = lambda der: "-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der).decode() + "-----END CERTIFICATE-----\n"
# MerkleTreeLeaf: version, leaf type, timestamp (8), entry type (2), then the certificate;
# extra_data: the chain's total length, then each certificate with its own.
chain, at = [pem(leaf[15:15 + u24(leaf, 12)])], 3
while at + 3 <= len(extra):
    n = u24(extra, at)
    chain.append(pem(extra[at + 3:at + 3 + n]))
    at += 3 + n
print(json.dumps({
    "app-bundle-id": "com.mybank.app", "app-version": "5.2", "app-vendor-id": "CLIENT", "app-platform": "IOS",
    "trustkit-version": "3.0.3", "hostname": hostname, "port": 443, "noted-hostname": hostname,
    "include-subdomains": False, "enforce-pinning": True, "validated-certificate-chain": chain,
    "validation-result": 1, "known-pins": ['pin-sha256="%s"' % p[len("sha256/"):] for p in pins],
    "date-time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}))
