#!/usr/bin/env python3
"""Runs a command and reports the peak resident memory of its whole process tree: `kmsguard scan`
starts the plugin as a child, and `/usr/bin/time -v` reports only the process it waits for.

Samples /proc every 20 ms; prints the peak of the tree's summed RSS, the peak of each process (by
command name), wall and CPU time (of the command and the children it waited for) and the
command's exit status, on stderr. The command's stdout is sent to
/dev/null unless --keep-stdout is given.

Usage: scripts/measure-rss.py [--keep-stdout] -- COMMAND [ARG...]
"""
import os
import resource
import subprocess
import sys
import time


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def name(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            parts = f.read().split(b"\0")
            return " ".join(p.decode(errors="replace") for p in parts[:2] if p)
    except OSError:
        return "?"


def main():
    args = sys.argv[1:]
    keep = False
    if args and args[0] == "--keep-stdout":
        keep, args = True, args[1:]
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        return
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(args, stdout=None if keep else subprocess.DEVNULL)
    except OSError as e:
        sys.exit(f"measure-rss: cannot run {args[0]}: {e.strerror}")
    peak_total = 0
    peak_each = {}
    while proc.poll() is None:
        tree, total, stack = [], 0, [proc.pid]
        while stack:
            pid = stack.pop()
            tree.append(pid)
            stack.extend(children(pid))
        for pid in tree:
            kib = rss_kib(pid)
            if kib == 0:  # a zombie, or gone since it was listed
                continue
            total += kib
            key = name(pid)
            peak_each[key] = max(peak_each.get(key, 0), kib)
        peak_total = max(peak_total, total)
        time.sleep(0.02)
    wall = time.monotonic() - started
    # The command's own wait for its children (the plugin) folds their CPU time into its own
    # RUSAGE_CHILDREN, so this covers the tree.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"peak RSS of the process tree (sum): {peak_total / 1024:.1f} MiB", file=sys.stderr)
    for key, kib in sorted(peak_each.items(), key=lambda item: -item[1]):
        print(f"  peak RSS {kib / 1024:8.1f} MiB  {key}", file=sys.stderr)
    print(f"wall {wall:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s (user "
          f"{usage.ru_utime:.1f} s, system {usage.ru_stime:.1f} s), exit status {proc.returncode}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
