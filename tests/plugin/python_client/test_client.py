"""A second, independent client of the plugin protocol: Python with Debian's python3-grpcio.

Starts `kmsguard serve` on a Unix socket, waits for grpc.health.v1 to report SERVING, then checks
GetPluginInfo (the registration manifest), VersionNegotiation, and Evaluate (findings, an in-band
ResourceError for a malformed resource, the summary). Stubs are generated at test time with protoc
--python_out; the calls go through grpcio's generic channel methods, so no grpc_tools is needed.

Usage: test_client.py KMSGUARD_BINARY PROTO_DIR WORK_DIR. Exit 0 on success, 1 on failure, 77
(ctest: skipped) when grpcio or protobuf for Python are not installed.
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import time

try:
    import grpc
    import google.protobuf  # noqa: F401
except ImportError as e:
    print(f"SKIP: {e} (scripts/install-deps.sh installs python3-grpcio and python3-protobuf)")
    sys.exit(77)

RULE_ID = "aws-iam-inline-kms-decrypt-all-keys"


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def generate_stubs(proto_dir, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    protos = ["kmsguard/plugin/v1/plugin.proto", "grpc/health/v1/health.proto",
              "kmsguard/plugin/negotiation/negotiation.proto"]
    subprocess.run(["protoc", f"-I{proto_dir}", f"--python_out={out_dir}"] + protos, check=True)
    sys.path.insert(0, out_dir)


def role(pb, name, policy):
    arn = f"arn:aws:iam::111122223333:role/{name}"
    document = ('{"RoleName": "%s", "Path": "/", "Arn": "%s", "RolePolicyList": '
                '[{"PolicyName": "p", "PolicyDocument": %s}], "AttachedManagedPolicies": []}'
                % (name, arn, policy))
    return pb.Resource(id=arn, type="AWS::IAM::Role", partition="aws", account="111122223333",
                       name=name, document_json=document.encode())


def main():
    kmsguard, proto_dir, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    generate_stubs(proto_dir, os.path.join(work, "gen"))
    from kmsguard.plugin.v1 import plugin_pb2 as pb
    # grpcio owns the "grpc" package name, so the health stubs are loaded from their file.
    spec = importlib.util.spec_from_file_location(
        "health_pb2", os.path.join(work, "gen", "grpc", "health", "v1", "health_pb2.py"))
    health_pb2 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(health_pb2)
    from kmsguard.plugin.negotiation import negotiation_pb2

    socket = os.path.join(work, "plugin.sock")
    serve = subprocess.Popen([kmsguard, "serve", "--listen", f"unix:{socket}"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # The socket appears only once serve runs; gRPC's default reconnect backoff (1 s and
        # growing) would add seconds to every start.
        channel = grpc.insecure_channel(f"unix:{socket}", options=[
            ("grpc.initial_reconnect_backoff_ms", 50), ("grpc.min_reconnect_backoff_ms", 50),
            ("grpc.max_reconnect_backoff_ms", 200)])

        def unary(method, request, response_type, timeout=10):
            call = channel.unary_unary(method, request_serializer=type(request).SerializeToString,
                                       response_deserializer=response_type.FromString)
            return call(request, timeout=timeout, wait_for_ready=True)

        # Health: NOT_SERVING (or no socket yet) until rules are loaded, then SERVING.
        deadline = time.monotonic() + 10
        while True:
            try:
                health = unary("/grpc.health.v1.Health/Check",
                               health_pb2.HealthCheckRequest(service="kmsguard.plugin.v1.PolicyPlugin"),
                               health_pb2.HealthCheckResponse, timeout=1)
                if health.status == health_pb2.HealthCheckResponse.SERVING:
                    break
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                fail("plugin not SERVING after 10 s")
            time.sleep(0.02)

        info = unary("/kmsguard.plugin.v1.PolicyPlugin/GetPluginInfo", pb.GetPluginInfoRequest(),
                     pb.GetPluginInfoResponse)
        if info.name != "kmsguard" or info.protocol_version != 1:
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
        if info.limits.max_batch_size <= 0 or info.limits.max_message_bytes < 4 * 1024 * 1024:
            fail(f"limits {info.limits}")
        if "normalized" not in info.input_formats or "health.v1" not in info.capabilities:
            fail(f"input_formats {list(info.input_formats)}, capabilities {list(info.capabilities)}")
        if info.last_reload_error:
            fail(f"unexpected reload error {info.last_reload_error!r}")

        negotiated = unary("/kmsguard.plugin.negotiation.VersionNegotiation/Negotiate",
                           negotiation_pb2.NegotiateRequest(host_versions=[1, 2]),
                           negotiation_pb2.NegotiateResponse)
        if negotiated.selected_version != 1 or negotiated.service != "kmsguard.plugin.v1.PolicyPlugin":
            fail(f"Negotiate: {negotiated}")
        none = unary("/kmsguard.plugin.negotiation.VersionNegotiation/Negotiate",
                     negotiation_pb2.NegotiateRequest(host_versions=[7]),
                     negotiation_pb2.NegotiateResponse)
        if none.selected_version != 0 or list(none.plugin_versions) != [1]:
            fail(f"Negotiate with no common version: {none}")

        star = role(pb, "star-role",
                    '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}')
        scoped = role(pb, "scoped-role",
                      '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt",'
                      '"Resource":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}')
        broken = pb.Resource(id="arn:aws:iam::111122223333:role/broken", type="AWS::IAM::Role",
                             document_json=b"{not json")
        requests = [
            pb.EvaluateRequest(scan_start=pb.ScanStart(scan_id="python")),
            pb.EvaluateRequest(resource_batch=pb.ResourceBatch(resources=[star, broken])),
            pb.EvaluateRequest(resource_batch=pb.ResourceBatch(resources=[scoped])),
            pb.EvaluateRequest(scan_end=pb.ScanEnd()),
        ]
        evaluate = channel.stream_stream("/kmsguard.plugin.v1.PolicyPlugin/Evaluate",
                                         request_serializer=pb.EvaluateRequest.SerializeToString,
                                         response_deserializer=pb.EvaluateResponse.FromString)
        verdicts, errors, summaries = {}, [], []
        for response in evaluate(iter(requests), timeout=30):
            kind = response.WhichOneof("kind")
            if kind == "finding_batch":
                for f in response.finding_batch.findings:
                    if f.rule_id == RULE_ID:
                        verdicts[f.resource_name] = pb.Status.Name(f.status)
            elif kind == "resource_error":
                errors.append(response.resource_error)
            elif kind == "scan_summary":
                summaries.append(response.scan_summary)
        if verdicts != {"star-role": "STATUS_FAIL", "scoped-role": "STATUS_PASS"}:
            fail(f"verdicts {verdicts}")
        if [e.code for e in errors] != ["resource_parse_error"] or "broken" not in errors[0].resource_id:
            fail(f"resource errors {errors}")
        if len(summaries) != 1:
            fail(f"{len(summaries)} summaries")
        s = summaries[0]
        if (s.scan_id, s.resources_received, s.resources_evaluated, s.resource_errors) != ("python", 3, 2, 1):
            fail(f"summary {s}")
        # A malformed batch: bytes that are not an EvaluateRequest at all. The call ends with an
        # error status; the plugin goes on serving.
        raw = channel.stream_stream("/kmsguard.plugin.v1.PolicyPlugin/Evaluate",
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
        again = unary("/kmsguard.plugin.v1.PolicyPlugin/GetPluginInfo", pb.GetPluginInfoRequest(),
                      pb.GetPluginInfoResponse)
        if again.name != "kmsguard":
            fail("the plugin stopped answering after a malformed request")

        channel.close()  # an idle open connection would hold shutdown for the grace period
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
    print("OK")


if __name__ == "__main__":
    main()
