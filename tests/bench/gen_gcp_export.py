#!/usr/bin/env python3
"""Writes a generated Cloud Asset Inventory iam-policy export (NDJSON) for scan-time figures
(docs/performance.md): one organization, PROJECTS projects with owner, editor and viewer bindings,
and one key ring per project with a decrypter binding.

    tests/bench/gen_gcp_export.py PROJECTS > export.ndjson
"""
import json
import sys


def main() -> None:
    projects = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    out = sys.stdout
    org = "organizations/9"
    out.write(json.dumps({
        "name": f"//cloudresourcemanager.googleapis.com/{org}",
        "asset_type": "cloudresourcemanager.googleapis.com/Organization",
        "iam_policy": {"bindings": [{"role": "roles/resourcemanager.organizationAdmin",
                                     "members": ["user:admin@example.com"]}]}}) + "\n")
    for i in range(projects):
        number = f"projects/{1000 + i}"
        out.write(json.dumps({
            "name": f"//cloudresourcemanager.googleapis.com/{number}",
            "asset_type": "cloudresourcemanager.googleapis.com/Project",
            "ancestors": [number, org],
            "iam_policy": {"bindings": [
                {"role": "roles/owner", "members": [f"user:o{i}@example.com"]},
                {"role": "roles/editor",
                 "members": [f"serviceAccount:{i}@cloudservices.gserviceaccount.com"]},
                {"role": "roles/viewer", "members": ["group:all@example.com"]}]}}) + "\n")
        out.write(json.dumps({
            "name": f"//cloudkms.googleapis.com/projects/p{i}/locations/eu/keyRings/r",
            "asset_type": "cloudkms.googleapis.com/KeyRing",
            "ancestors": [number, org],
            "iam_policy": {"bindings": [
                {"role": "roles/cloudkms.cryptoKeyDecrypter",
                 "members": [f"serviceAccount:app{i}@p{i}.iam.gserviceaccount.com"]}]}}) + "\n")


if __name__ == "__main__":
    main()
