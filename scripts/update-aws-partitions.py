#!/usr/bin/env python3
"""Regenerates sdk/iam/data/aws-partitions.json from the AWS SDKs' partition metadata.

    scripts/update-aws-partitions.py PARTITIONS_JSON SOURCE_URL > sdk/iam/data/aws-partitions.json

PARTITIONS_JSON is botocore's botocore/data/partitions.json (the same file ships in every AWS SDK);
SOURCE_URL names the exact revision it came from (a commit URL), recorded in the output with
today's date. Each partition keeps its id, its published regionRegex (the library checks every
region against it) and its regions; pseudo-regions ending in -global (endpoint aliases, not places
where keys live) are left out.
"""
import datetime
import json
import sys


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    partitions = []
    for p in data["partitions"]:
        regions = sorted(r for r in p["regions"] if not r.endswith("-global"))
        partitions.append({"id": p["id"], "regionRegex": p["regionRegex"], "regions": regions})
    json.dump({"source": sys.argv[2], "retrieved": datetime.date.today().isoformat(),
               "partitions": partitions}, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
