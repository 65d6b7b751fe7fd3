#!/usr/bin/env python3
"""Measures `kmsguard serve` start-up to SERVING: the time from launch to the go-plugin handshake
line, which the plugin prints only once its rules are loaded (health SERVING).

Usage: scripts/measure-startup.py [build/plugin/kmsguard] [RUNS]
"""
import os
import statistics
import subprocess
import sys
import time

binary = sys.argv[1] if len(sys.argv) > 1 else "build/plugin/kmsguard"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
times = []
for _ in range(runs):
    started = time.monotonic()
    serve = subprocess.Popen([binary, "serve"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, KMSGUARD_PLUGIN_MAGIC_COOKIE="kmsguard"))
    if not serve.stdout.readline():
        sys.exit("serve printed no handshake")
    times.append((time.monotonic() - started) * 1000)
    serve.terminate()
    serve.wait()
print(f"start-up to SERVING (handshake line): median {statistics.median(times):.1f} ms, "
      f"max {max(times):.1f} ms over {runs} runs")
