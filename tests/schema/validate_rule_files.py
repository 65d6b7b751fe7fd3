#!/usr/bin/env python3
"""Validates every rule file (each YAML document) under the given directories against
docs/schema/kmsguard-rule.schema.json, and checks the schema rejects known-bad documents.

Usage: validate_rule_files.py SCHEMA DIR...
Exit: 0 all valid, 1 a file is invalid, 77 (ctest skip) when python3-jsonschema or python3-yaml
is missing (scripts/install-deps.sh installs them).
"""
import pathlib
import sys

try:
    import jsonschema
    import yaml
except ImportError as error:
    print(f"SKIP: {error.name} is not installed (scripts/install-deps.sh installs "
          "python3-jsonschema and python3-yaml)")
    sys.exit(77)


class Loader(yaml.SafeLoader):
    """YAML 1.2 as the rule loader reads it: dates stay strings."""


Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

BAD_DOCUMENTS = {
    "unknown operator": {"equal": {"path": "$.name", "value": "x"}},
    "path outside the subset": {"equals": {"path": "$..name", "value": "x"}},
    "test without a path": {"equals": {"value": "x"}},
    "two operators in one condition": {"exists": {"path": "$.a"}, "not": {"exists": {"path": "$.b"}}},
    "covers_action with ignore_case (IAM's matching is always case-insensitive)":
        {"covers_action": {"path": "$.a[*]", "value": "sts:AssumeRole", "quantifier": "any",
                           "ignore_case": True}},
}


def main() -> int:
    schema_path, *dirs = sys.argv[1:]
    schema = json_load(schema_path)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    failures = 0
    checked = 0
    for directory in dirs:
        for path in sorted(pathlib.Path(directory).rglob("*.y*ml")):
            if path.name.endswith((".test.yaml", ".test.yml")):
                continue
            for index, document in enumerate(yaml.load_all(path.read_text(), Loader=Loader)):
                if document is None:
                    continue
                checked += 1
                for error in validator.iter_errors(document):
                    failures += 1
                    pointer = "/".join(str(p) for p in error.absolute_path)
                    print(f"{path}: document {index + 1}: /{pointer}: {error.message[:300]}")
    # The schema must also say no: a rule whose violation is each bad condition.
    base = yaml.load((pathlib.Path(dirs[0]) / "aws-iam-inline-kms-decrypt-all-keys.yaml").read_text(),
                     Loader=Loader)
    for name, condition in BAD_DOCUMENTS.items():
        if validator.is_valid(dict(base, violation=condition)):
            failures += 1
            print(f"schema accepts a rule with {name}: {condition}")
    print(f"{checked} document(s) validated, {failures} problem(s)")
    return 1 if failures or checked == 0 else 0


def json_load(path):
    import json
    with open(path, encoding="utf-8") as f:
        return json.load(f)


if __name__ == "__main__":
    sys.exit(main())
