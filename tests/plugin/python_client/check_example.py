"""Runs an example host (docs/examples/go-host, docs/examples/python-host) and checks what it
prints for the bundled example account (docs/examples/account-authorization-details.json): its 7
FAIL findings, each with its rule, severity, type and principal as docs/examples/README.md lists
them, nothing else, the summary line, and exit status 1; then a broken export, which must end with
exit status 2 and an error naming the file, and no finding.

Usage: check_example.py [--serve KMSGUARD] SOURCE_DIR WORK_DIR COMMAND... (COMMAND is the example
with its launch or connect arguments; the export's path is appended). With --serve, a standalone
`KMSGUARD serve` listens on WORK_DIR/plugin.sock while the example runs, and "{address}" in
COMMAND becomes its address. Exit 0 on success, 1 on failure.
"""
import os
import shutil
import subprocess
import sys

# docs/examples/README.md: 5 FAIL for KMS.2, 1 for the strict tier, 1 for KMS.1.
EXPECTED_FAILS = sorted([
    ("FAIL", "MEDIUM", "aws-iam-inline-kms-decrypt-all-keys", "AWS::IAM::User", "bob"),
    ("FAIL", "MEDIUM", "aws-iam-inline-kms-decrypt-all-keys", "AWS::IAM::User", "erin"),
    ("FAIL", "MEDIUM", "aws-iam-inline-kms-decrypt-all-keys", "AWS::IAM::Group", "Developers"),
    ("FAIL", "MEDIUM", "aws-iam-inline-kms-decrypt-all-keys", "AWS::IAM::Role", "ec2-app-server"),
    ("FAIL", "HIGH", "aws-iam-inline-kms-decrypt-all-keys", "AWS::IAM::Role", "partner-audit-access"),
    ("FAIL", "LOW", "aws-iam-kms-decrypt-broad-scope", "AWS::IAM::Role", "glue-data-pipeline"),
    ("FAIL", "MEDIUM", "aws-iam-managed-kms-decrypt-all-keys", "AWS::IAM::Policy", "KmsDecryptAllKeys-Managed"),
])
EXPECTED_SUMMARY = ("summary: 21 resources received, 21 evaluated, 0 errors; "
                    "7 FAIL, 0 WARNING, 0 ERROR, 29 PASS, 0 SUPPRESSED")
VERDICTS = ("FAIL", "WARNING", "ERROR", "PASS", "SUPPRESSED", "RESOURCE-ERROR")


def fail(message, run=None):
    print(f"FAIL: {message}")
    if run is not None:
        print(f"--- stdout\n{run.stdout}--- stderr\n{run.stderr}")
    sys.exit(1)


def main():
    args = sys.argv[1:]
    serve_binary = None
    if args[0] == "--serve":
        serve_binary, args = args[1], args[2:]
    source, work, command = args[0], args[1], args[2:]
    if serve_binary is None:
        check(source, work, command)
        return
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    address = "unix:" + os.path.join(work, "plugin.sock")
    serve = subprocess.Popen([serve_binary, "serve", "--listen", address], stdout=subprocess.DEVNULL)
    try:
        check(source, work, [a.replace("{address}", address) for a in command])
    finally:
        serve.terminate()
        serve.wait(timeout=15)


def check(source, work, command):
    export = os.path.join(source, "docs", "examples", "account-authorization-details.json")
    run = subprocess.run(command + [export], capture_output=True, text=True, timeout=120)
    print(run.stdout, end="")
    lines = run.stdout.splitlines()
    # "STATUS SEVERITY RULE TYPE NAME: message" (IAM names have no spaces).
    verdicts = sorted(tuple(line.split(" ")[:4]) + (line.split(" ")[4].removesuffix(":"),)
                      for line in lines if line.split(" ", 1)[0] in VERDICTS)
    if verdicts != EXPECTED_FAILS:
        fail(f"findings printed {verdicts}, want the 7 FAILs of docs/examples/README.md {EXPECTED_FAILS}", run)
    if EXPECTED_SUMMARY not in lines:
        fail(f"no line {EXPECTED_SUMMARY!r}", run)
    if run.returncode != 1:
        fail(f"exit status {run.returncode}, want 1 (FAIL findings)", run)

    os.makedirs(work, exist_ok=True)
    broken = os.path.join(work, "truncated-export.json")
    with open(broken, "w") as f:
        f.write('{"UserDetailList": [{"UserName": "bob",')
    run = subprocess.run(command + [broken], capture_output=True, text=True, timeout=120)
    if run.returncode != 2 or broken not in run.stderr:
        fail(f"a truncated export: exit status {run.returncode}, want 2 and an error naming {broken}", run)
    if any(line.split(" ", 1)[0] in VERDICTS for line in run.stdout.splitlines()):
        fail("findings printed for a truncated export", run)
    print(f"truncated export: {run.stderr.strip()}")
    print("OK")


if __name__ == "__main__":
    main()
