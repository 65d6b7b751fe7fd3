"""A second, independent client of the plugin protocol: Python with Debian's python3-grpcio, through
the Python host SDK (sdk/python/kmsguard), so the SDK is tested on every run.

- connect(): `kmsguard serve` on a Unix socket; wait_until_serving, GetPluginInfo (the manifest),
  VersionNegotiation, scans (findings, an in-band ResourceError for a malformed resource, the
  summary last, an unknown rule id, a failing resource iterable, a resource too large to send, a
  scan stopped early), and a malformed request after which the plugin goes on serving.
- launch(): go-plugin's handshake with the real binary (and its log lines, and its exit on close),
  and handshakes that go wrong (a fake plugin: a bad line, no line, an early exit).
- A fake plugin in process shows how scan() cuts batches (by count, by bytes, the ceiling).
- resources_from_authorization_details on pages and on broken exports.

Usage: test_client.py KMSGUARD_BINARY PROTO_DIR WORK_DIR. Exit 0 on success, 1 on failure, 77
(ctest: skipped) when grpcio or protobuf for Python are not installed.
"""
import concurrent.futures
import json
import os
import shutil
import stat
import subprocess
import sys

try:
    import grpc
    import google.protobuf  # noqa: F401
except ImportError as e:
    print(f"SKIP: {e} (scripts/install-deps.sh installs python3-grpcio and python3-protobuf)")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "sdk", "python"))
import kmsguard  # noqa: E402
from kmsguard.plugin.v1 import plugin_pb2 as pb  # noqa: E402
from kmsguard.plugin.v1 import plugin_pb2_grpc  # noqa: E402

RULE_ID = "aws-iam-inline-kms-decrypt-all-keys"


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def role(name, policy):
    arn = f"arn:aws:iam::111122223333:role/{name}"
    document = ('{"RoleName": "%s", "Path": "/", "Arn": "%s", "RolePolicyList": '
                '[{"PolicyName": "p", "PolicyDocument": %s}], "AttachedManagedPolicies": []}'
                % (name, arn, policy))
    return pb.Resource(id=arn, type="AWS::IAM::Role", partition="aws", account="111122223333",
                       name=name, document_json=document.encode())


STAR = role("star-role", '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}')
SCOPED = role("scoped-role", '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt",'
                             '"Resource":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}')
BROKEN = pb.Resource(id="arn:aws:iam::111122223333:role/broken", type="AWS::IAM::Role",
                     document_json=b"{not json")


def split(items):
    findings = [i for i in items if isinstance(i, pb.Finding)]
    errors = [i for i in items if isinstance(i, pb.ResourceError)]
    summaries = [i for i in items if isinstance(i, pb.ScanSummary)]
    if not items or not isinstance(items[-1], pb.ScanSummary) or len(summaries) != 1:
        fail(f"scan() must yield exactly one summary, last: {[type(i).__name__ for i in items]}")
    return findings, errors, summaries[0]


def check_manifest(plugin):
    info = plugin.info()
    if info.name != "kmsguard" or info.protocol_version != kmsguard.PROTOCOL_VERSION:
        fail(f"GetPluginInfo: {info.name!r} protocol {info.protocol_version}")
    if list(info.supported_protocol_versions) != [1]:
        fail(f"supported_protocol_versions {list(info.supported_protocol_versions)}")
    rules = {r.id: r for r in info.rules}
    if RULE_ID not in rules:
        fail(f"rule {RULE_ID} not in the catalog: {sorted(rules)}")
    headline = rules[RULE_ID]
    if not headline.params or not all(p.default_json for p in headline.params):
        fail(f"{RULE_ID}: parameters with defaults expected, got {headline.params}")
    if not any(c.control == "KMS.2" for c in headline.compliance):
        fail(f"{RULE_ID}: no KMS.2 compliance reference")
    if (info.limits.max_batch_size != kmsguard.MAX_BATCH_SIZE
            or info.limits.max_message_bytes != kmsguard.MAX_MESSAGE_BYTES):
        fail(f"limits {info.limits}, the SDK assumes {kmsguard.MAX_BATCH_SIZE} and {kmsguard.MAX_MESSAGE_BYTES}")
    if "normalized" not in info.input_formats or "health.v1" not in info.capabilities:
        fail(f"input_formats {list(info.input_formats)}, capabilities {list(info.capabilities)}")
    if info.last_reload_error:
        fail(f"unexpected reload error {info.last_reload_error!r}")


def check_scan(plugin):
    findings, errors, summary = split(list(plugin.scan([STAR, BROKEN, SCOPED], scan_id="python", batch_size=2)))
    verdicts = {f.resource_name: pb.Status.Name(f.status) for f in findings if f.rule_id == RULE_ID}
    if verdicts != {"star-role": "STATUS_FAIL", "scoped-role": "STATUS_PASS"}:
        fail(f"verdicts {verdicts}")
    if [e.code for e in errors] != ["resource_parse_error"] or errors[0].resource_id != BROKEN.id:
        fail(f"resource errors {errors}")
    if (summary.scan_id, summary.resources_received, summary.resources_evaluated,
            summary.resource_errors) != ("python", 3, 2, 1):
        fail(f"summary {summary}")


def check_scan_errors(plugin):
    # An unknown rule id: the plugin ends the call, scan() raises its status.
    try:
        list(plugin.scan([STAR], rule_ids=["no-such-rule"]))
        fail("a scan naming an unknown rule did not raise")
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.INVALID_ARGUMENT or "no-such-rule" not in e.details():
            fail(f"unknown rule: {e.code()} {e.details()}")

    # The resources iterable fails half-way: its own exception comes out, not a gRPC error.
    class InventoryGone(Exception):
        pass

    def inventory():
        yield STAR
        raise InventoryGone("the inventory went away")
    try:
        list(plugin.scan(inventory()))
        fail("a failing resource iterable did not raise")
    except InventoryGone:
        pass

    # Too large to send: reported in-band by the SDK and counted, the rest is scanned.
    huge = pb.Resource(id="huge", type="AWS::IAM::Role", document_json=b"x" * kmsguard.MAX_MESSAGE_BYTES,
                       source=pb.SourceLocation(file="gaad.json", json_pointer="/RoleDetailList/9"))
    findings, errors, summary = split(list(plugin.scan([huge, STAR])))
    if ([(e.code, e.resource_id, e.source.json_pointer) for e in errors]
            != [("resource_too_large", "huge", "/RoleDetailList/9")]):
        fail(f"resource errors for a huge resource: {errors}")
    if (summary.resources_received, summary.resources_evaluated, summary.resource_errors) != (2, 1, 1):
        fail(f"summary with a huge resource: {summary}")

    # Stopping early cancels the call; the plugin goes on serving.
    for item in plugin.scan([STAR] * 50, batch_size=1):
        break
    check_scan(plugin)


def check_malformed_request(plugin):
    # Bytes that are not an EvaluateRequest at all: the call ends with an error status; the plugin
    # goes on serving.
    raw = plugin.channel.stream_stream("/kmsguard.plugin.v1.PolicyPlugin/Evaluate",
                                       request_serializer=lambda b: b,
                                       response_deserializer=pb.EvaluateResponse.FromString)
    start = pb.EvaluateRequest(scan_start=pb.ScanStart(scan_id="bad")).SerializeToString()
    try:
        list(raw(iter([start, b"\x12\xff\xff\xff\x0f\x01"]), timeout=10))
        fail("a malformed request ended with OK")
    except grpc.RpcError as e:
        if e.code() == grpc.StatusCode.OK:
            fail("a malformed request ended with OK")
        print(f"malformed request: {e.code()} {e.details()}")
    if plugin.info().name != "kmsguard":
        fail("the plugin stopped answering after a malformed request")


def check_negotiation(plugin, proto_dir, work):
    # Not in the SDK (a host of this protocol version needs no negotiation): stubs made here.
    gen = os.path.join(work, "gen")
    os.makedirs(gen, exist_ok=True)
    subprocess.run(["protoc", f"-I{proto_dir}", f"--python_out={gen}",
                    "kmsguard/plugin/negotiation/negotiation.proto"], check=True)
    sys.path.insert(0, gen)
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "negotiation_pb2", os.path.join(gen, "kmsguard", "plugin", "negotiation", "negotiation_pb2.py"))
    negotiation_pb2 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(negotiation_pb2)
    negotiate = plugin.channel.unary_unary(
        "/kmsguard.plugin.negotiation.VersionNegotiation/Negotiate",
        request_serializer=negotiation_pb2.NegotiateRequest.SerializeToString,
        response_deserializer=negotiation_pb2.NegotiateResponse.FromString)
    negotiated = negotiate(negotiation_pb2.NegotiateRequest(host_versions=[1, 2]), timeout=10)
    if negotiated.selected_version != 1 or negotiated.service != "kmsguard.plugin.v1.PolicyPlugin":
        fail(f"Negotiate: {negotiated}")
    none = negotiate(negotiation_pb2.NegotiateRequest(host_versions=[7]), timeout=10)
    if none.selected_version != 0 or list(none.plugin_versions) != [1]:
        fail(f"Negotiate with no common version: {none}")


def check_connect(binary, proto_dir, work):
    socket = os.path.join(work, "plugin.sock")
    plugin = kmsguard.connect(f"unix:{socket}")
    # Nothing listens yet: waiting gives up and says why (the socket is missing), not only that
    # a deadline passed.
    try:
        plugin.wait_until_serving(timeout=0.5)
        fail("wait_until_serving succeeded with no plugin")
    except kmsguard.PluginError as e:
        if "not SERVING" not in str(e) or "No such file or directory" not in str(e):
            fail(f"wait_until_serving with no plugin: {e}")
    serve = subprocess.Popen([binary, "serve", "--listen", f"unix:{socket}"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        plugin.wait_until_serving(timeout=10)
        check_manifest(plugin)
        check_negotiation(plugin, proto_dir, work)
        check_scan(plugin)
        check_scan_errors(plugin)
        check_malformed_request(plugin)
        plugin.close()  # an idle open connection would hold shutdown for the grace period
    finally:
        serve.terminate()
        try:
            out, err = serve.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            serve.kill()
            fail("serve did not exit within 15 s of SIGTERM")
    if serve.returncode != 0:
        fail(f"serve exited with {serve.returncode}: {err.decode(errors='replace')}")
    if out:
        fail(f"serve wrote to stdout: {out!r}")


def check_launch(binary, work):
    log_path = os.path.join(work, "launched.log")
    with open(log_path, "wb") as log:
        plugin = kmsguard.launch(binary, stderr=log)
        with plugin:
            if not plugin.address.startswith("unix:/") or not plugin.address.endswith("/plugin.sock"):
                fail(f"handshake address {plugin.address}")
            check_manifest(plugin)
            check_scan(plugin)
        if plugin.process.returncode != 0:
            fail(f"the launched plugin exited with {plugin.process.returncode} after close()")
    with open(log_path) as log:
        lines = [json.loads(line) for line in log if line.strip()]
    if not lines or not all("@level" in entry and "@message" in entry for entry in lines):
        fail(f"the launched plugin's stderr is not hclog JSON lines: {lines}")
    # A plugin that cannot start (a rule directory that does not exist) exits before its line.
    try:
        kmsguard.launch(binary, ["--rules", os.path.join(work, "no-such-dir")], stderr=subprocess.DEVNULL)
        fail("launch with a missing rule directory succeeded")
    except kmsguard.PluginError as e:
        if "exited with status 2 before its handshake line" not in str(e):
            fail(f"launch with a missing rule directory: {e}")


def check_bad_handshakes(work):
    # A stand-in plugin: prints what it is told to, once it has seen go-plugin's variables.
    fake = os.path.join(work, "fake-plugin.sh")
    with open(fake, "w") as f:
        f.write('#!/bin/sh\n'
                '[ "$1" = serve ] && [ "$KMSGUARD_PLUGIN_MAGIC_COOKIE" = kmsguard ] && '
                '[ "$PLUGIN_PROTOCOL_VERSIONS" = 1 ] || { echo "9|9|no|cookie|grpc"; exit 0; }\n'
                'case "$FAKE" in\n'
                '  line) echo "$LINE"; exec sleep 30 ;;\n'
                '  exit) echo "cannot start" >&2; exit 3 ;;\n'
                '  silent) exec sleep 30 ;;\n'
                'esac\n')
    os.chmod(fake, stat.S_IRWXU)
    cases = [
        ({"FAKE": "line", "LINE": "1|1|unix|/tmp/x.sock|grpc"}, None),
        ({"FAKE": "line", "LINE": "1|2|unix|/tmp/x.sock|grpc"}, "plugin protocol 2"),
        ({"FAKE": "line", "LINE": "1|1|unix|/tmp/x.sock|netrpc"}, "protocol netrpc, want grpc"),
        ({"FAKE": "line", "LINE": "1|1|unix|/tmp/x.sock|grpc|MIIB"}, "AutoMTLS"),
        ({"FAKE": "line", "LINE": "1|1|udp|x|grpc"}, "network udp"),
        ({"FAKE": "line", "LINE": "hello"}, "malformed handshake line"),
        ({"FAKE": "exit"}, "exited with status 3"),
        ({"FAKE": "silent"}, "no handshake line from the plugin within 1 s"),
    ]
    for env, want in cases:
        try:
            plugin = kmsguard.launch(fake, env=env, timeout=1, stderr=subprocess.DEVNULL)
        except kmsguard.PluginError as e:
            if want is None or want not in str(e):
                fail(f"fake plugin {env}: {e!r}, want {want!r}")
            continue
        process = plugin.process
        plugin.close(timeout=1)
        if want is not None:
            fail(f"fake plugin {env}: launch succeeded, want an error with {want!r}")
        if plugin.address != "unix:/tmp/x.sock" or process.poll() is None:
            fail(f"fake plugin with a good line: address {plugin.address}, still running {process.poll()}")


class RecordingPlugin(plugin_pb2_grpc.PolicyPluginServicer):
    """Answers each batch with one PASS per resource and records the batch sizes."""

    def __init__(self):
        self.batches = []

    def Evaluate(self, request_iterator, context):
        received = 0
        for request in request_iterator:
            kind = request.WhichOneof("kind")
            if kind == "resource_batch":
                self.batches.append(len(request.resource_batch.resources))
                received += len(request.resource_batch.resources)
                yield pb.EvaluateResponse(finding_batch=pb.FindingBatch(findings=[
                    pb.Finding(resource_id=r.id, status=pb.STATUS_PASS)
                    for r in request.resource_batch.resources]))
            elif kind == "scan_end":
                yield pb.EvaluateResponse(scan_summary=pb.ScanSummary(
                    resources_received=received, resources_evaluated=received))


def check_batching(work):
    fake = RecordingPlugin()
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=2),
                         options=[("grpc.max_receive_message_length", kmsguard.MAX_MESSAGE_BYTES)])
    plugin_pb2_grpc.add_PolicyPluginServicer_to_server(fake, server)
    socket = os.path.join(work, "fake.sock")
    server.add_insecure_port(f"unix:{socket}")
    server.start()
    try:
        with kmsguard.connect(f"unix:{socket}") as plugin:
            def resources(n, size):
                return [pb.Resource(id=f"r{i}", type="AWS::IAM::Role", document_json=b"x" * size)
                        for i in range(n)]
            for n, size, batch_size, want in [(7, 1, 3, [3, 3, 1]), (250, 1, kmsguard.DEFAULT_BATCH_SIZE, [100, 100, 50]),
                                              (1500, 1, 5000, [1000, 500]), (5, 1500 * 1024, 100, [2, 2, 1])]:
                fake.batches = []
                findings, _, summary = split(list(plugin.scan(iter(resources(n, size)), batch_size=batch_size)))
                if fake.batches != want or len(findings) != n or summary.resources_received != n:
                    fail(f"{n} resources of {size} bytes, batch_size {batch_size}: batches {fake.batches}, "
                         f"want {want}; {len(findings)} findings")
    finally:
        server.stop(None)


def check_export_reader():
    pages = (b'{"UserDetailList": [{"UserName": "bob", "Arn": "arn:aws-cn:iam::111122223333:user/bob"}],'
             b' "GroupDetailList": null,'
             b' "Policies": [{"PolicyName": "ReadOnly", "Arn": "arn:aws:iam::aws:policy/ReadOnly"}]}\n'
             b'{"RoleDetailList": [{"RoleName": "r"}]}\n')
    bob, policy, page2 = kmsguard.resources_from_authorization_details(pages, "gaad.json")
    if ((bob.type, bob.name, bob.partition, bob.account, bob.source.json_pointer)
            != ("AWS::IAM::User", "bob", "aws-cn", "111122223333", "/UserDetailList/0")
            or json.loads(bob.document_json)["UserName"] != "bob"):
        fail(f"user {bob}")
    if (policy.type, policy.partition, policy.account) != ("AWS::IAM::Policy", "aws", ""):
        fail(f"AWS managed policy {policy}")
    if (page2.type, page2.id, page2.source.file) != ("AWS::IAM::Role", "gaad.json#/RoleDetailList/0", "gaad.json"):
        fail(f"role of the second page {page2}")
    for bad, where in [(b'{"UserDetailList": [', "bad.json:1:"), (b'{"RoleDetailList": {}}', "bad.json#/RoleDetailList"),
                       (b'{"Policies": [1]}', "bad.json#/Policies/0"), (b"", "bad.json:1:1"), (b"[]", "bad.json:"),
                       (b'{"UserDetailList": ["\xd6\xff"]}', "bad.json: not an authorization-details export: byte 21")]:
        try:
            kmsguard.resources_from_authorization_details(bad, "bad.json")
            fail(f"{bad!r} was read as an export")
        except ValueError as e:
            if not str(e).startswith(where):
                fail(f"{bad!r}: {e}, want it to start with {where!r}")


def main():
    binary, proto_dir, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    check_export_reader()
    check_batching(work)
    check_bad_handshakes(work)
    check_launch(binary, work)
    check_connect(binary, proto_dir, work)
    print("OK")


if __name__ == "__main__":
    main()
