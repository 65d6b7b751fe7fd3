#!/usr/bin/env python3
"""An example scanner host in Python: it launches the kmsguard plugin (go-plugin's handshake) or
connects to one already running, reads its manifest, scans an IAM authorization-details export and
prints every FAIL, WARNING and ERROR finding, then the summary. docs/registering.md walks through it.

Usage:
    host.py --plugin /usr/bin/kmsguard EXPORT.json
    host.py --connect unix:/run/kmsguard/plugin.sock EXPORT.json

The SDK (sdk/python) must be importable: installed, or on PYTHONPATH.
Exit status: 0 no FAIL, 1 at least one FAIL, 2 the scan could not be done.
"""
import argparse
import sys

import grpc

import kmsguard
from kmsguard.plugin.v1 import plugin_pb2 as pb


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--plugin", help="the kmsguard binary to launch")
    how.add_argument("--connect", help="address of a running `kmsguard serve` (unix:/PATH or 127.0.0.1:PORT)")
    parser.add_argument("export", help="output of `aws iam get-account-authorization-details`")
    args = parser.parse_args()
    try:
        with open(args.export, "rb") as f:
            resources = kmsguard.resources_from_authorization_details(f.read(), args.export)
        # 1. Launch or connect.
        if args.plugin:
            plugin = kmsguard.launch(args.plugin)
        else:
            plugin = kmsguard.connect(args.connect)
            plugin.wait_until_serving(timeout=10)
        with plugin:
            # 2. The manifest.
            info = plugin.info()
            if info.protocol_version != kmsguard.PROTOCOL_VERSION:
                raise kmsguard.PluginError(f"plugin speaks protocol {info.protocol_version}")
            print(f"plugin {info.name} {info.version}: {len(info.rules)} rules, "
                  f"batches of at most {info.limits.max_batch_size} resources")
            # 3. One scan: findings as they arrive, the summary last.
            for item in plugin.scan(resources, scan_id="python-host",
                                    skip_specific_remediation=True, omit_pass_findings=True):
                if isinstance(item, pb.Finding):
                    status = pb.Status.Name(item.status).removeprefix("STATUS_")
                    severity = pb.Severity.Name(item.severity).removeprefix("SEVERITY_")
                    print(f"{status} {severity} {item.rule_id} {item.resource_type} "
                          f"{item.resource_name}: {item.message}")
                elif isinstance(item, pb.ResourceError):
                    print(f"RESOURCE-ERROR {item.code} {item.resource_id}: {item.message}")
                else:
                    summary = item
    except (kmsguard.PluginError, ValueError, OSError) as e:
        print(f"python-host: {e}", file=sys.stderr)
        return 2
    except grpc.RpcError as e:
        print(f"python-host: the plugin ended the call: {e.code().name}: {e.details()}", file=sys.stderr)
        return 2
    s = summary
    passed = getattr(s, "pass")  # a Python keyword as a field name
    print(f"summary: {s.resources_received} resources received, {s.resources_evaluated} evaluated, "
          f"{s.resource_errors} errors; {s.fail} FAIL, {s.warning} WARNING, {s.error} ERROR, "
          f"{passed} PASS, {s.suppressed} SUPPRESSED")
    return 1 if s.fail else 0


if __name__ == "__main__":
    sys.exit(main())
