#!/usr/bin/env python3
"""Measures one export the way docs/performance.md reports it, every figure in one run: the floor
(floor_file: simdjson parse plus a walk over every statement), the in-process scan in its three
modes (scan_file: full, --no-remediation, --table) and `kmsguard scan` end to end (table, JSONL,
OCSF; host and plugin, peak RSS summed by scripts/measure-rss.py), each as a ratio of the floor.

The floor's wall time is its first run (the file read from the page cache, the parser's buffers
allocated), as a scan meets it, and its best of three warm runs.

Usage: scripts/measure-scan.py [--build DIR] FILE
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_timed(command):
    """Runs `command` with stdout discarded; returns (wall s, CPU s of it and its children, stderr)."""
    before = os.times()
    start = time.monotonic()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system -
                                                         before.children_system)
    if done.returncode not in (0, 1):  # 1: a FAIL finding, which a scan of this export has
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    return wall, cpu, done.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("file")
    args = parser.parse_args()
    bench = os.path.join(args.build, "tests", "bench")
    kmsguard = os.path.join(args.build, "plugin", "kmsguard")

    floor = subprocess.run([os.path.join(bench, "floor_file"), args.file, "3"],
                           capture_output=True, text=True, check=True).stdout
    first = float(re.search(r"first run ([0-9.]+) s wall", floor).group(1))
    best = float(re.search(r"best of 3: ([0-9.]+) s wall", floor).group(1))
    print(floor.strip())
    print(f"{'what':44} {'wall s':>8} {'CPU s':>8} {'/ floor first':>14} {'/ floor best':>13}"
          f" {'peak RSS':>10}")
    print(f"{'floor (first run; best of 3 warm)':44} {first:8.2f} {first:8.2f} {1:14.1f}"
          f" {first / best:13.1f}")

    rows = [("scan_file (every rule, findings, remediation)", []),
            ("scan_file --no-remediation", ["--no-remediation"]),
            ("scan_file --table", ["--table"])]
    for name, flags in rows:
        wall, cpu, _ = run_timed([os.path.join(bench, "scan_file"), args.file, "0", *flags])
        print(f"{name:44} {wall:8.2f} {cpu:8.2f} {wall / first:14.1f} {wall / best:13.1f}")

    for fmt in ("table", "jsonl", "ocsf"):
        _, _, err = run_timed([sys.executable, os.path.join(ROOT, "scripts", "measure-rss.py"),
                               "--", kmsguard, "scan", "--format", fmt, args.file])
        rss = re.search(r"peak RSS of the process tree \(sum\): ([0-9.]+) MiB", err)
        times = re.search(r"wall ([0-9.]+) s, CPU ([0-9.]+) s", err)
        wall, cpu = float(times.group(1)), float(times.group(2))
        name = f"kmsguard scan --format {fmt} (end to end)"
        print(f"{name:44} {wall:8.2f} {cpu:8.2f} {wall / first:14.1f} {wall / best:13.1f}"
              f" {(rss.group(1) + ' MiB') if rss else '?':>10}")


if __name__ == "__main__":
    main()
