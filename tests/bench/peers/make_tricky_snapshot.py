#!/usr/bin/env python3
"""Writes an authorization-details export of one role per hand-written policy, each a case the
generator (gen_snapshot) does not draw: region patterns, case and wildcard spellings of actions,
NotAction, NotResource, Deny and unions of them, policy variables. For oracle_compare.mjs:

    tests/bench/peers/make_tricky_snapshot.py > tricky.json
    build/plugin/kmsguard scan --format jsonl tricky.json > tricky.jsonl
    node tests/bench/peers/oracle_compare.mjs tricky.json tricky.jsonl
"""
import json

ALL = "arn:aws:kms:*:*:key/*"


def allow(action, resource, key="Resource", verb="Action"):
    return {"Effect": "Allow", verb: action, key: resource}


def deny(action, resource, key="Resource", verb="Action"):
    return {"Effect": "Deny", verb: action, key: resource}


CASES = [
    # Region grammar (issue 15 item 1): every region is two letters, a name, one digit.
    [allow("kms:Decrypt", "arn:aws:kms:??-*:*:key/*")],
    [allow("kms:Decrypt", "arn:aws:kms:??-*-?:*:key/*")],
    [allow("kms:Decrypt", "arn:aws:kms:*-?:*:key/*")],
    [allow("kms:Decrypt", "arn:aws:kms:??-*-1:*:key/*")],
    [allow("kms:Decrypt", ["arn:aws:kms:us-*:*:key/*", "arn:aws:kms:eu-*:*:key/*"])],
    [allow("kms:Decrypt", "*"), deny("kms:Decrypt", "arn:aws:kms:??-*-?:*:key/*")],
    [allow("kms:Decrypt", "arn:aws:kms:??-*-?:*:key/*", key="NotResource")],
    [allow("kms:Decrypt", "*"), deny("kms:Decrypt", "arn:aws:kms:??-*-?:*:key/*", key="NotResource")],
    [allow("kms:Decrypt", "*"), deny("kms:Decrypt", "arn:aws:kms:*:111122223333:key/*", key="NotResource")],
    [allow("kms:Decrypt", "*"), deny("kms:Decrypt", "arn:aws:kms:??-*:*:key/*", key="NotResource")],
    [allow("kms:Decrypt", "*"),
     deny("kms:Decrypt", ["arn:aws:kms:??-*-?:*:key/*", "arn:aws:s3:::x"], key="NotResource")],
    [allow("kms:Decrypt", "*"), deny("kms:Decrypt", ALL)],
    # Actions: case, wildcards, NotAction.
    [allow("KMS:DECRYPT", "*")],
    [allow("kms:*crypt*", "*")],
    [allow("k?s:De*", "*")],
    [allow("kms:Decrypt?", "*")],
    [allow(["s3:*", "ec2:*"], "*", verb="NotAction")],
    [allow(["kms:Decrypt", "kms:ReEncrypt*"], "*", verb="NotAction")],
    [allow("*", "*"), deny("kms:*", "*", verb="NotAction")],
    [allow("*", "*"), deny(["kms:Decrypt", "kms:ReEncryptFrom"], "*")],
    # Resources: key ids, unions, aliases, case, other services.
    [allow("kms:Decrypt", "arn:aws:kms:*:*:key/????????-*")],
    [allow("kms:Decrypt", "arn:aws:kms:*:*:key/mrk-*")],
    [allow("kms:Decrypt", ["arn:aws:kms:*:*:key/mrk-*"] + [f"arn:aws:kms:*:*:key/{c}*" for c in "0123456789abcdef"])],
    [allow("kms:Decrypt", "arn:aws:kms:*:*:alias/*")],
    [allow("kms:Decrypt", "arn:aws:kms:*:*:KEY/*")],
    [allow("kms:Decrypt", "arn:aws:kms:*")],
    [allow("kms:Decrypt", "arn:*:kms:*:*:key/*")],
    [allow("kms:Decrypt", "arn:aws:*")],
    [allow("kms:Decrypt", "arn:aws:s3:::*")],
    [allow("kms:Decrypt", "arn:aws:kms:*:key/*")],
    # NotResource.
    [allow("kms:Decrypt", "arn:aws:s3:::*", key="NotResource")],
    [allow("kms:Decrypt", ALL, key="NotResource")],
    [allow("kms:Decrypt", "*", key="NotResource")],
    # Denies that together cover, or do not.
    [allow("kms:Decrypt", "*"), deny("kms:Decrypt", "arn:aws:kms:*:*:key/mrk-*"),
     deny("kms:Decrypt", [f"arn:aws:kms:*:*:key/{c}*" for c in "0123456789abcdef"])],
    [allow("kms:Decrypt", "*"), deny("kms:Decrypt", "arn:aws:kms:us-*:*:key/*")],
    # Policy variables name one value, never a wildcard.
    [allow("kms:Decrypt", "arn:aws:kms:*:${aws:PrincipalAccount}:key/*")],
    [allow("kms:Decrypt", "arn:aws:kms:*:*:key/${*}")],
]


def main():
    roles = []
    for i, statements in enumerate(CASES):
        roles.append({
            "RoleName": f"tricky-{i}", "Arn": f"arn:aws:iam::111122223333:role/tricky-{i}",
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
                                                                      "Statement": statements}}]})
    print(json.dumps({"RoleDetailList": roles}))


if __name__ == "__main__":
    main()
