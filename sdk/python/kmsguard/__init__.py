"""Python host SDK of the kmsguard policy plugin (Debian's python3-grpcio and python3-protobuf).

Launch `kmsguard serve` the way go-plugin does, or connect to one already running, read its
manifest and scan::

    import kmsguard
    from kmsguard.plugin.v1 import plugin_pb2 as pb

    with kmsguard.launch("/usr/bin/kmsguard") as plugin:
        print(plugin.info().name)
        for item in plugin.scan(resources):
            if isinstance(item, pb.Finding): ...
            elif isinstance(item, pb.ResourceError): ...
            else: summary = item          # pb.ScanSummary, always last

The messages and the PolicyPlugin stub are generated from proto/ (``kmsguard.plugin.v1.plugin_pb2``
and ``plugin_pb2_grpc``). docs/registering.md shows a whole host; docs/plugin-protocol.md the
protocol. Errors: `PluginError` for a plugin that cannot be started or reached or that breaks the
protocol; `grpc.RpcError` (``.code()``, ``.details()``) for a call the plugin ended with a status,
e.g. FAILED_PRECONDITION (no rules loaded) or INVALID_ARGUMENT (an unknown rule id).
"""
import json
import os
import selectors
import subprocess
import time

import grpc

from kmsguard import _health_pb2
from kmsguard.plugin.v1 import plugin_pb2 as pb
from kmsguard.plugin.v1 import plugin_pb2_grpc

__all__ = ["launch", "connect", "Plugin", "PluginError", "resources_from_authorization_details",
           "PROTOCOL_VERSION", "MAGIC_COOKIE_KEY", "MAGIC_COOKIE_VALUE"]

# What `kmsguard serve` expects from a go-plugin host (docs/plugin-protocol.md): it serves in
# go-plugin mode only when the cookie is set, and speaks application protocol 1.
MAGIC_COOKIE_KEY = "KMSGUARD_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "kmsguard"
PROTOCOL_VERSION = 1
HEALTH_SERVICE = "kmsguard.plugin.v1.PolicyPlugin"

# The plugin's default limits (GetPluginInfo's Limits): the most resources in one batch, and the
# largest request. Batches are also closed before BATCH_BYTE_BUDGET, well under the limit.
DEFAULT_BATCH_SIZE = 100
MAX_BATCH_SIZE = 1000
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
BATCH_BYTE_BUDGET = 4 * 1024 * 1024
_FRAMING_BYTES = 1024
# A resource too large to send is reported with this code (the others come from the plugin:
# resource_invalid, resource_parse_error, resource_adapt_error, eval_error; docs/errors/).
RESOURCE_TOO_LARGE = "resource_too_large"

# The socket appears when serve runs; gRPC's default reconnect backoff (1 s, growing) would add
# seconds to a connection made just before it. grpc.min_reconnect_backoff_ms stays at its
# default: gRPC also takes it as the least time a connection attempt may take (20 s), and a small
# value failed calls to a plugin that finished the HTTP/2 handshake late on a loaded machine.
_CHANNEL_OPTIONS = [("grpc.initial_reconnect_backoff_ms", 50),
                    ("grpc.max_reconnect_backoff_ms", 1000)]


class PluginError(Exception):
    """The plugin could not be started or reached, or broke the protocol."""


class Plugin:
    """A connection to one plugin: its typed stub (`stub`), the manifest, scans, and `close()`.

    Made by `launch` (which owns the plugin process) or `connect`. Use it as a context manager or
    call `close()`: a launched plugin is stopped then (SIGTERM; it drains calls in flight)."""

    def __init__(self, channel, address, process=None):
        self.channel = channel
        self.address = address
        self.process = process
        self.stub = plugin_pb2_grpc.PolicyPluginStub(channel)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def info(self, timeout=30):
        """GetPluginInfo: name, version, protocol versions, capabilities, limits, rule catalog."""
        return self.stub.GetPluginInfo(pb.GetPluginInfoRequest(), timeout=timeout, wait_for_ready=True)

    def wait_until_serving(self, timeout=10):
        """Polls grpc.health.v1 until the plugin reports SERVING (its rules are loaded); raises
        PluginError naming the last state seen after `timeout` seconds. A launched plugin is
        SERVING already: it prints its handshake line only once its rules are loaded."""
        check = self.channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=_health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=_health_pb2.HealthCheckResponse.FromString)
        deadline = time.monotonic() + timeout
        last = "no answer"
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PluginError(f"plugin at {self.address} not SERVING after {timeout} s ({last})")
            try:
                # Not wait_for_ready: a channel that cannot connect (no socket, refused, a TLS
                # mismatch) fails the call with UNAVAILABLE and why, which `last` then says;
                # waiting would only ever say DEADLINE_EXCEEDED.
                response = check(_health_pb2.HealthCheckRequest(service=HEALTH_SERVICE),
                                 timeout=min(left, 2))
                if response.status == _health_pb2.HealthCheckResponse.SERVING:
                    return
                last = _health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
            except grpc.RpcError as e:
                last = f"{e.code().name}: {e.details()}"
            time.sleep(0.1)

    def scan(self, resources, *, scan_id="", rule_ids=(), batch_size=DEFAULT_BATCH_SIZE,
             skip_specific_remediation=False, skip_explanation=False, omit_pass_findings=False,
             timeout=None):
        """One scan (an Evaluate call). `resources` is any iterable of `pb.Resource`, read as the
        scan goes (a generator keeps memory flat); it is sent in batches of at most `batch_size`
        (at most the plugin's limits.max_batch_size) and under 4 MiB. Yields each `pb.Finding` and
        `pb.ResourceError` as it arrives, then the `pb.ScanSummary`, always last. A resource too
        large to send is not sent: it is yielded as a ResourceError (code resource_too_large) and
        counted in the summary. Raises grpc.RpcError when the plugin ends the call with an error
        status (or `timeout` seconds pass: DEADLINE_EXCEEDED), PluginError when it ends without
        a summary, and re-raises what the `resources` iterable raised. The other three keywords
        are ScanStart's: the host will not show generated remediation / explanation lines / PASS
        findings (PASS are then only counted in the summary), and the plugin saves the work.
        Stopping the iteration early cancels the call."""
        batch_size = max(1, min(batch_size, MAX_BATCH_SIZE))
        start = pb.ScanStart(scan_id=scan_id, rule_ids=list(rule_ids),
                             skip_specific_remediation=skip_specific_remediation,
                             skip_explanation=skip_explanation,
                             omit_pass_findings=omit_pass_findings)
        unsent = []
        failure = []  # what the resources iterable raised; the call is cancelled then

        def requests():
            yield pb.EvaluateRequest(scan_start=start)
            batch, batch_bytes = [], 0
            try:
                for resource in resources:
                    size = resource.ByteSize()
                    if size + _FRAMING_BYTES > MAX_MESSAGE_BYTES:
                        unsent.append(pb.ResourceError(
                            resource_id=resource.id, code=RESOURCE_TOO_LARGE, source=resource.source,
                            message=f"resource {resource.id} is {size} bytes serialized, over the "
                                    f"plugin's limit of {MAX_MESSAGE_BYTES} bytes; not sent"))
                        continue
                    if batch and (len(batch) >= batch_size or batch_bytes + size > BATCH_BYTE_BUDGET):
                        yield pb.EvaluateRequest(resource_batch=pb.ResourceBatch(resources=batch))
                        batch, batch_bytes = [], 0
                    batch.append(resource)
                    batch_bytes += size
            except Exception as e:  # noqa: BLE001 - handed to the caller by scan()
                # Ending the requests without ScanEnd ends the call (INVALID_ARGUMENT), and scan()
                # raises this instead. (Cancelling here could race with `call` being assigned.)
                failure.append(e)
                return
            if batch:
                yield pb.EvaluateRequest(resource_batch=pb.ResourceBatch(resources=batch))
            yield pb.EvaluateRequest(scan_end=pb.ScanEnd())

        # grpcio reads the request iterator on a thread of its own while this one reads responses,
        # as the protocol needs (the plugin reads the next request after answering the last).
        call = self.stub.Evaluate(requests(), timeout=timeout, wait_for_ready=True)
        summary = None
        try:
            for response in call:
                kind = response.WhichOneof("kind")
                if kind == "finding_batch":
                    yield from response.finding_batch.findings
                elif kind == "resource_error":
                    yield response.resource_error
                elif kind == "scan_summary":
                    summary = response.scan_summary
                # another kind comes from a newer protocol: nothing this host can use
        except grpc.RpcError:
            if failure:
                raise failure[0] from None
            raise
        finally:
            call.cancel()  # a no-op once the call has ended; ends it when the caller stopped early
        if failure:
            raise failure[0]
        if summary is None:
            raise PluginError("the plugin ended the scan without a summary")
        yield from unsent
        summary.resources_received += len(unsent)
        summary.resource_errors += len(unsent)
        yield summary

    def close(self, timeout=15):
        """Closes the channel; a launched plugin gets SIGTERM and `timeout` seconds to exit (it
        waits for calls in flight up to its grace period), then SIGKILL."""
        self.channel.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def connect(address, *, credentials=None, options=()):
    """Connects to a running plugin (`kmsguard serve --listen ...`). `address` is "unix:/PATH" or
    "HOST:PORT". Without `credentials` (a grpc.ssl_channel_credentials for TLS or mTLS) the channel
    is plaintext, which the plugin accepts only on a Unix socket or loopback. Connects lazily; call
    `wait_until_serving()` before the first scan. `options` go to the grpc channel."""
    if not (address.startswith("unix:") or ":" in address):
        raise PluginError(f"{address!r} is neither unix:/PATH nor HOST:PORT")
    channel_options = _CHANNEL_OPTIONS + list(options)
    if credentials is None:
        channel = grpc.insecure_channel(address, options=channel_options)
    else:
        channel = grpc.secure_channel(address, credentials, options=channel_options)
    return Plugin(channel, address)


def launch(path, args=(), *, env=None, stderr=None, timeout=20):
    """Starts `PATH serve ARGS...` as go-plugin does and connects to it: sets the magic cookie and
    PLUGIN_PROTOCOL_VERSIONS, reads the handshake line (`1|1|unix|/tmp/.../plugin.sock|grpc`) from
    the child's stdout, and checks it. The plugin's rules are loaded once this returns. `env` adds
    variables to the child's environment; `stderr` is where its log lines go (hclog JSON lines;
    default: this process's stderr; subprocess.PIPE or a file also work). Raises PluginError when
    the child exits or prints no valid line within `timeout` seconds (the child is killed then).
    The returned Plugin owns the process: close it (or use `with`)."""
    child_env = dict(os.environ)
    child_env.update(env or {})
    child_env[MAGIC_COOKIE_KEY] = MAGIC_COOKIE_VALUE
    child_env["PLUGIN_PROTOCOL_VERSIONS"] = str(PROTOCOL_VERSION)
    # AutoMTLS is a go-plugin host's choice that this SDK does not make: the private 0700 socket
    # is reachable only by this user. A variable inherited from a Go parent would ask for it.
    child_env.pop("PLUGIN_CLIENT_CERT", None)
    try:
        process = subprocess.Popen([path, "serve", *args], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=stderr, env=child_env)
    except OSError as e:
        raise PluginError(f"cannot start {path}: {e}") from e
    try:
        line = _read_handshake_line(process, timeout)
        address = _parse_handshake(line)
    except BaseException:
        process.kill()
        process.wait()
        raise
    # Nothing else ever reaches the plugin's stdout (it points the descriptor at stderr).
    process.stdout.close()
    channel = grpc.insecure_channel(address, options=_CHANNEL_OPTIONS)
    return Plugin(channel, address, process)


def _read_handshake_line(process, timeout):
    deadline = time.monotonic() + timeout
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise PluginError(f"no handshake line from the plugin within {timeout} s "
                                  f"(read so far: {data!r})")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                status = process.wait()
                raise PluginError(f"the plugin exited with status {status} before its handshake "
                                  f"line (its stderr says why; read so far: {data!r})")
            data += chunk
    return data.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()


def _parse_handshake(line):
    """go-plugin's line: CORE-VERSION|APP-VERSION|NETWORK|ADDRESS|PROTOCOL[|SERVER-CERT]."""
    fields = line.split("|")
    if len(fields) < 5:
        raise PluginError(f"malformed handshake line {line!r}: want "
                          f"CORE|APP|NETWORK|ADDRESS|PROTOCOL")
    core, app, network, address, protocol = fields[:5]
    if core != "1":
        raise PluginError(f"handshake line {line!r}: go-plugin core protocol {core}, want 1")
    if app != str(PROTOCOL_VERSION):
        raise PluginError(f"handshake line {line!r}: plugin protocol {app}, this host speaks "
                          f"{PROTOCOL_VERSION}")
    if protocol != "grpc":
        raise PluginError(f"handshake line {line!r}: protocol {protocol}, want grpc")
    if len(fields) > 5 and fields[5]:
        raise PluginError(f"handshake line {line!r}: the plugin sent a certificate (AutoMTLS), "
                          f"which this host did not ask for")
    if network == "unix":
        return f"unix:{address}"
    if network == "tcp":
        return address
    raise PluginError(f"handshake line {line!r}: network {network}, want unix or tcp")


_EXPORT_LISTS = (("UserDetailList", "AWS::IAM::User", "UserName"),
                 ("GroupDetailList", "AWS::IAM::Group", "GroupName"),
                 ("RoleDetailList", "AWS::IAM::Role", "RoleName"),
                 ("Policies", "AWS::IAM::Policy", "PolicyName"))


def resources_from_authorization_details(text, source=""):
    """Splits the output of `aws iam get-account-authorization-details` (str or bytes; one export
    or its pages one after another) into `pb.Resource`s: one per user, group, role and managed
    policy, each entry sent in the API's own shape (input format aws.iam.authorization_details)
    with id, type, name, partition and account from its ARN and its place in the file (`source`
    and a page-relative JSON pointer). Group membership is not added to groups (the plugin reads
    it only from the normalized shape). Raises ValueError naming `source` and the place when the
    text is not such an export."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"{source}: not an authorization-details export: byte {e.start} "
                             f"is not UTF-8 text") from None
    decoder = json.JSONDecoder()
    position, pages = 0, 0
    resources = []
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text) and pages > 0:
            return resources
        try:
            export, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as e:
            raise ValueError(f"{source}:{e.lineno}:{e.colno}: not an authorization-details "
                             f"export: {e.msg}") from None
        if not isinstance(export, dict):
            raise ValueError(f"{source}: not an authorization-details export: a JSON "
                             f"{type(export).__name__}, want an object")
        pages += 1
        for list_name, resource_type, name_key in _EXPORT_LISTS:
            entries = export.get(list_name)
            if entries is None:
                continue
            if not isinstance(entries, list):
                raise ValueError(f"{source}#/{list_name}: not a list")
            for i, entry in enumerate(entries):
                pointer = f"/{list_name}/{i}"
                if not isinstance(entry, dict):
                    raise ValueError(f"{source}#{pointer}: not an object")
                arn = entry.get("Arn") if isinstance(entry.get("Arn"), str) else ""
                name = entry.get(name_key) if isinstance(entry.get(name_key), str) else ""
                resource_id = arn or f"{source}#{pointer}"
                parts = arn.split(":", 5)
                partition = parts[1] if len(parts) == 6 and parts[0] == "arn" else ""
                account = parts[4] if partition and parts[4] != "aws" else ""
                resources.append(pb.Resource(
                    id=resource_id, type=resource_type, provider="aws", partition=partition,
                    account=account, name=name,
                    document_json=json.dumps(entry).encode("ascii"),
                    source=pb.SourceLocation(file=source, json_pointer=pointer,
                                             resource_id=resource_id)))
