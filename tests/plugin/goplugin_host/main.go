// A real HashiCorp go-plugin host (Debian's golang-github-hashicorp-go-plugin-dev) built on the Go
// host SDK (sdk/go/kmsguard): it launches `kmsguard serve` the way Terraform-style hosts do, with
// the SDK's handshake config and Plugin type, and checks the handshake, health, GetPluginInfo, a
// scan through the SDK's Scan (findings, an in-band resource error, the summary, a call error),
// the JSON log lines and the controller Shutdown. Modes (docs/plugin-protocol.md):
//
//	basic      the above, on the plain private Unix socket
//	automtls   the above with ClientConfig.AutoMTLS (what Terraform sets, and the SDK's default),
//	           then the certificate the plugin serves and who it lets in: only the host's own
//	dial       a standalone `kmsguard serve --listen unix:...` reached with the SDK's Dial and
//	           WaitServing, then the same manifest and scan checks
//	keepalive  a grpc-go connection pinging every 10 s (grpc-go's minimum) stays idle for
//	           -idle (42 s) and must survive it: no GOAWAY, no reconnection
//
// Usage: goplugin_host [-mode basic|automtls|dial|keepalive] [-idle DURATION] PATH-TO-KMSGUARD.
// Prints "OK" and exits 0, or says what failed and exits 1.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kmsguard/sdk/go/kmsguard"
	pb "kmsguard/sdk/go/kmsguard/pluginv1"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

const ruleID = "aws-iam-inline-kms-decrypt-all-keys"

// lockedBuffer collects the plugin's stderr, which go-plugin copies from its own goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func role(name, policy string) *pb.Resource {
	arn := "arn:aws:iam::111122223333:role/" + name
	doc := fmt.Sprintf(`{"RoleName": %q, "Path": "/", "Arn": %q,
	  "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": %s}],
	  "AttachedManagedPolicies": []}`, name, arn, policy)
	return &pb.Resource{Id: arn, Type: "AWS::IAM::Role", Partition: "aws",
		Account: "111122223333", Name: name, DocumentJson: []byte(doc)}
}

func main() {
	mode := flag.String("mode", "basic", "basic, automtls, dial or keepalive")
	idle := flag.Duration("idle", 42*time.Second, "keepalive mode: how long the connection stays idle")
	flag.Parse()
	if flag.NArg() != 1 {
		fail("usage: goplugin_host [-mode basic|automtls|dial|keepalive] [-idle DURATION] PATH-TO-KMSGUARD")
	}
	switch *mode {
	case "basic":
		runScan(flag.Arg(0), false)
	case "automtls":
		runScan(flag.Arg(0), true)
	case "dial":
		runDial(flag.Arg(0))
	case "keepalive":
		runKeepalive(flag.Arg(0), *idle)
	default:
		fail("unknown mode %q", *mode)
	}
	fmt.Println("OK")
}

// newConfig is the SDK's go-plugin configuration, with what a Terraform-style host adds.
func newConfig(path string, autoMTLS bool, stderr io.Writer) *plugin.ClientConfig {
	config := kmsguard.NewClientConfig(path)
	if !config.AutoMTLS || len(config.AllowedProtocols) != 1 || config.AllowedProtocols[0] != plugin.ProtocolGRPC {
		fail("the SDK's config: AutoMTLS %v, protocols %v; want AutoMTLS and gRPC only",
			config.AutoMTLS, config.AllowedProtocols)
	}
	config.AutoMTLS = autoMTLS
	config.StartTimeout = 20 * time.Second
	config.Stderr = stderr
	config.Logger = hclog.New(&hclog.LoggerOptions{Name: "host", Output: os.Stderr, Level: hclog.Debug})
	return config
}

// launch starts the plugin with the SDK's Launch (handshake, dispense) and checks the negotiated
// version and go-plugin's health check.
func launch(config *plugin.ClientConfig, stderr *lockedBuffer) (*plugin.Client, pb.PolicyPluginClient) {
	started := time.Now()
	client, policy, err := kmsguard.Launch(config)
	if err != nil {
		fail("launch: %v (plugin stderr: %s)", err, stderr.String())
	}
	fmt.Printf("handshake and connection took %v\n", time.Since(started))
	if client.NegotiatedVersion() != 1 {
		fail("negotiated version %d, want 1", client.NegotiatedVersion())
	}
	rpcClient, err := client.Client()
	if err != nil {
		fail("client: %v", err)
	}
	if err := rpcClient.Ping(); err != nil {
		fail("health check of service \"plugin\": %v", err)
	}
	return client, policy
}

// runScan: handshake, GetPluginInfo, one Evaluate stream, Kill, and the plugin's log lines.
func runScan(path string, autoMTLS bool) {
	stderr := &lockedBuffer{}
	config := newConfig(path, autoMTLS, stderr)
	client, policy := launch(config, stderr)
	defer client.Kill()
	checkInfo(policy)
	checkEvaluate(policy)
	if autoMTLS {
		checkAutoMTLS(config, client.ReattachConfig().Addr)
	}

	// Kill calls the GRPCController's Shutdown, then waits up to 2 s before killing the process
	// outright; a plugin that exits by itself shows the controller works.
	killStarted := time.Now()
	client.Kill()
	if took := time.Since(killStarted); took > 1500*time.Millisecond {
		fail("plugin took %v to exit after Shutdown (go-plugin force-kills after 2 s)", took)
	}
	if !client.Exited() {
		fail("plugin still running after Kill")
	}
	checkLogLines(stderr.String())
}

func checkInfo(policy pb.PolicyPluginClient) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	info, err := policy.GetPluginInfo(ctx, &pb.GetPluginInfoRequest{})
	if err != nil {
		fail("GetPluginInfo: %v", err)
	}
	if info.Name != "kmsguard" || info.ProtocolVersion != 1 {
		fail("GetPluginInfo: name %q protocol %d", info.Name, info.ProtocolVersion)
	}
	found := false
	for _, r := range info.Rules {
		found = found || r.Id == ruleID
	}
	if !found {
		fail("GetPluginInfo: rule %s not in the catalog (%d rules)", ruleID, len(info.Rules))
	}
}

// checkEvaluate scans through the SDK: a FAIL, a PASS, a resource the plugin cannot read (an
// in-band error, the scan goes on), the summary; then a call the plugin refuses.
func checkEvaluate(policy pb.PolicyPluginClient) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	star := role("star-role", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}`)
	scoped := role("scoped-role", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}`)
	broken := &pb.Resource{Id: "arn:aws:iam::111122223333:role/broken", Type: "AWS::IAM::Role",
		DocumentJson: []byte("{not json")}
	// Batches of one: the plugin answers three batches of one scan.
	result, err := kmsguard.Scan(ctx, policy, []*pb.Resource{star, broken, scoped},
		&kmsguard.ScanOptions{ScanID: "go-host", BatchSize: 1})
	if err != nil {
		fail("Scan: %v", err)
	}
	verdicts := map[string]pb.Status{}
	for _, f := range result.Findings {
		if f.RuleId == ruleID {
			verdicts[f.ResourceName] = f.Status
		}
	}
	if len(verdicts) != 2 || verdicts["star-role"] != pb.Status_STATUS_FAIL || verdicts["scoped-role"] != pb.Status_STATUS_PASS {
		fail("verdicts for %s: %v, want star-role FAIL and scoped-role PASS", ruleID, verdicts)
	}
	if len(result.ResourceErrors) != 1 || result.ResourceErrors[0].Code != kmsguard.ResourceParseError ||
		result.ResourceErrors[0].ResourceId != broken.Id {
		fail("resource errors %v, want one resource_parse_error for %s", result.ResourceErrors, broken.Id)
	}
	s := result.Summary
	if s.ScanId != "go-host" || s.ResourcesReceived != 3 || s.ResourcesEvaluated != 2 || s.ResourceErrors != 1 {
		fail("summary %v", s)
	}
	_, err = kmsguard.Scan(ctx, policy, []*pb.Resource{star}, &kmsguard.ScanOptions{RuleIDs: []string{"no-such-rule"}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "no-such-rule") {
		fail("a scan naming an unknown rule: %v, want INVALID_ARGUMENT naming it", err)
	}
}

// runDial: a plugin running on its own, reached with the SDK's Dial.
func runDial(path string) {
	dir, err := os.MkdirTemp("", "kmsguard-dial-")
	if err != nil {
		fail("temp dir: %v", err)
	}
	defer os.RemoveAll(dir)
	address := "unix:" + dir + "/plugin.sock"
	conn, err := kmsguard.Dial(address, nil)
	if err != nil {
		fail("Dial: %v", err)
	}
	defer conn.Close()
	// Nothing listens yet: WaitServing gives up when its context ends, and says so.
	short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err = conn.WaitServing(short)
	cancelShort()
	if err == nil || !strings.Contains(err.Error(), "not SERVING") {
		fail("WaitServing with no plugin: %v", err)
	}
	stderr := &lockedBuffer{}
	serve := exec.Command(path, "serve", "--listen", address)
	serve.Stderr = stderr
	if err := serve.Start(); err != nil {
		fail("start serve: %v", err)
	}
	defer func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := conn.WaitServing(ctx); err != nil {
		fail("WaitServing: %v (serve stderr: %s)", err, stderr.String())
	}
	checkInfo(conn)
	checkEvaluate(conn)
}

// checkLogLines: every stderr line must be one of hclog's JSON entries, which go-plugin re-logs
// by level.
func checkLogLines(stderr string) {
	lines := 0
	scanner := bufio.NewScanner(bytes.NewBufferString(stderr))
	for scanner.Scan() {
		var entry map[string]interface{}
		if err := json.Unmarshal(scanner.Bytes(), &entry); err != nil {
			fail("plugin stderr line is not JSON: %q", scanner.Text())
		}
		for _, key := range []string{"@level", "@message", "@timestamp"} {
			if _, ok := entry[key]; !ok {
				fail("plugin log line lacks %s: %q", key, scanner.Text())
			}
		}
		lines++
	}
	if lines == 0 {
		fail("plugin wrote no log lines")
	}
}

// dialPlugin opens a gRPC connection of our own to the plugin's socket (go-plugin's own
// connection cannot be given other credentials or keepalive parameters).
func dialPlugin(addr net.Addr, opts ...grpc.DialOption) *grpc.ClientConn {
	opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, addr.Network(), addr.String())
	}))
	conn, err := grpc.Dial("localhost", opts...)
	if err != nil {
		fail("dial %v: %v", addr, err)
	}
	return conn
}

// callOnNewConnection makes one GetPluginInfo call on a connection of its own.
func callOnNewConnection(addr net.Addr, opt grpc.DialOption) error {
	conn := dialPlugin(addr, opt)
	defer conn.Close()
	return callInfo(conn)
}

func callInfo(conn *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := pb.NewPolicyPluginClient(conn).GetPluginInfo(ctx, &pb.GetPluginInfoRequest{})
	return err
}

// goPluginStyleCert makes a certificate shaped like go-plugin's generateCert: self-signed when
// parent is nil, else issued by parent (a CA) with parentKey, under another subject name (with
// the issuer's own name it would look self-signed and fail the chain check, never reaching the
// equality check this is for).
func goPluginStyleCert(parent *x509.Certificate, parentKey crypto.Signer) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		fail("generate key: %v", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		fail("serial: %v", err)
	}
	template := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"HashiCorp"}},
		DNSNames:              []string{"localhost"},
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		SerialNumber:          serial,
		NotBefore:             time.Now().Add(-30 * time.Second),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
	}
	var signer crypto.Signer = key
	if parent == nil {
		parent = template
	} else {
		template.Subject.CommonName = "issued-by-the-host"
		signer = parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, key.Public(), signer)
	if err != nil {
		fail("create certificate: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// checkAutoMTLS: go-plugin set up mTLS from the handshake's sixth field (the only root it
// trusts); the plugin's certificate has go-plugin's shape, and the plugin lets in the host's own
// certificate and nothing else.
func checkAutoMTLS(config *plugin.ClientConfig, addr net.Addr) {
	host := config.TLSConfig
	if host == nil || len(host.Certificates) != 1 || host.RootCAs == nil {
		fail("go-plugin did not configure AutoMTLS from the handshake (TLS config %+v)", host)
	}

	withH2 := host.Clone()
	withH2.NextProtos = []string{"h2"}
	conn, err := tls.Dial(addr.Network(), addr.String(), withH2)
	if err != nil {
		fail("TLS handshake with the host's certificate: %v", err)
	}
	state := conn.ConnectionState()
	conn.Close()
	if len(state.PeerCertificates) != 1 {
		fail("the plugin sent %d certificates, want its one self-signed certificate", len(state.PeerCertificates))
	}
	leaf := state.PeerCertificates[0]
	key, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P521() {
		fail("plugin certificate key is %T, want ECDSA P-521 as go-plugin's", leaf.PublicKey)
	}
	if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != "localhost" || leaf.Subject.CommonName != "localhost" {
		fail("plugin certificate names: SAN %v CN %q, want DNS:localhost", leaf.DNSNames, leaf.Subject.CommonName)
	}
	usages := map[x509.ExtKeyUsage]bool{}
	for _, u := range leaf.ExtKeyUsage {
		usages[u] = true
	}
	if !leaf.IsCA || !usages[x509.ExtKeyUsageServerAuth] || !usages[x509.ExtKeyUsageClientAuth] {
		fail("plugin certificate: CA %v, extended key usage %v", leaf.IsCA, leaf.ExtKeyUsage)
	}
	if state.Version < tls.VersionTLS12 {
		fail("TLS version %x", state.Version)
	}

	hostLeaf, err := x509.ParseCertificate(host.Certificates[0].Certificate[0])
	if err != nil {
		fail("parse the host's certificate: %v", err)
	}
	hostKey := host.Certificates[0].PrivateKey.(crypto.Signer)
	with := func(certs ...tls.Certificate) grpc.DialOption {
		c := host.Clone()
		c.Certificates = certs
		return grpc.WithTransportCredentials(credentials.NewTLS(c))
	}
	// The control: our own connection with the host's certificate works, so each refusal below
	// is the certificate's doing.
	if err := callOnNewConnection(addr, with(host.Certificates[0])); err != nil {
		fail("GetPluginInfo with the host's certificate on a second connection: %v", err)
	}
	refusals := []struct {
		what string
		opt  grpc.DialOption
	}{
		{"plaintext", grpc.WithInsecure()},
		{"TLS without a client certificate", with()},
		{"another self-signed certificate", with(goPluginStyleCert(nil, nil))},
		// Chains to the host's certificate, which is a CA: only the equality check refuses it.
		{"a certificate the host's certificate issued", with(goPluginStyleCert(hostLeaf, hostKey))},
	}
	for _, r := range refusals {
		if err := callOnNewConnection(addr, r.opt); err == nil {
			fail("the plugin accepted %s", r.what)
		} else {
			fmt.Printf("refused as it should be, %s: %v\n", r.what, err)
		}
	}
}

// frameCounter follows one direction of an HTTP/2 connection and counts frames by type, so the
// test sees the pings and their acks (and any GOAWAY) on the wire.
type frameCounter struct {
	mu          sync.Mutex
	skip        int // bytes of the client connection preface still to pass
	header      []byte
	payloadLeft int
	pings       int
	pingAcks    int
	goAways     int
}

func (f *frameCounter) feed(b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(b) > 0 {
		if f.skip > 0 || f.payloadLeft > 0 {
			left := &f.skip
			if f.skip == 0 {
				left = &f.payloadLeft
			}
			n := *left
			if n > len(b) {
				n = len(b)
			}
			*left -= n
			b = b[n:]
			continue
		}
		n := 9 - len(f.header)
		if n > len(b) {
			n = len(b)
		}
		f.header = append(f.header, b[:n]...)
		b = b[n:]
		if len(f.header) < 9 {
			continue
		}
		h := f.header
		f.payloadLeft = int(h[0])<<16 | int(h[1])<<8 | int(h[2])
		switch typ, flags := h[3], h[4]; {
		case typ == 0x6 && flags&0x1 == 0:
			f.pings++
		case typ == 0x6:
			f.pingAcks++
		case typ == 0x7:
			f.goAways++
		}
		f.header = f.header[:0]
	}
}

func (f *frameCounter) counts() (pings, acks, goAways int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pings, f.pingAcks, f.goAways
}

type countingConn struct {
	net.Conn
	sent, received *frameCounter
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.sent.feed(b[:n])
	return n, err
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.received.feed(b[:n])
	return n, err
}

// runKeepalive: a long-lived host keeps its connection between scans with grpc-go keepalive
// (10 s, the shortest interval grpc-go allows). The connection must stay up, idle, for `idle`:
// no GOAWAY (too_many_pings), no reconnection, every ping answered.
func runKeepalive(path string, idle time.Duration) {
	stderr := &lockedBuffer{}
	client, _ := launch(newConfig(path, false, stderr), stderr)
	defer client.Kill()
	addr := client.ReattachConfig().Addr

	var dials int32
	sent := &frameCounter{skip: len("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")}
	received := &frameCounter{}
	conn, err := grpc.Dial("localhost", grpc.WithInsecure(),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			atomic.AddInt32(&dials, 1)
			c, err := (&net.Dialer{}).DialContext(ctx, addr.Network(), addr.String())
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: c, sent: sent, received: received}, nil
		}),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time: 10 * time.Second, Timeout: 5 * time.Second, PermitWithoutStream: true}))
	if err != nil {
		fail("dial: %v", err)
	}
	defer conn.Close()
	if err := callInfo(conn); err != nil {
		fail("GetPluginInfo before the idle period: %v", err)
	}

	// Any change of state during the idle period means the connection was lost.
	ctx, stopWatching := context.WithCancel(context.Background())
	var changes []string
	var changesMu sync.Mutex
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for state := conn.GetState(); conn.WaitForStateChange(ctx, state); {
			state = conn.GetState()
			changesMu.Lock()
			changes = append(changes, state.String())
			changesMu.Unlock()
		}
	}()
	idleStarted := time.Now()
	time.Sleep(idle)
	stopWatching()
	<-watched
	pings, _, _ := sent.counts()
	_, pingAcks, goAways := received.counts()
	fmt.Printf("idle %v: %d pings sent, %d answered, %d GOAWAY, state changes %v\n",
		time.Since(idleStarted).Round(time.Millisecond), pings, pingAcks, goAways, changes)
	if goAways > 0 {
		fail("the plugin sent GOAWAY on an idle connection pinged every 10 s (stderr: %s)", stderr.String())
	}
	if len(changes) > 0 || conn.GetState() != connectivity.Ready {
		fail("the connection left READY while idle: %v", changes)
	}
	// A ping goes out 10 s after the last frame read, so about one per 10 s of idleness.
	wantPings := int(idle/(10*time.Second)) - 1
	if pings < wantPings || pingAcks < wantPings {
		fail("%d pings sent and %d answered in %v, want at least %d of each", pings, pingAcks, idle, wantPings)
	}
	if err := callInfo(conn); err != nil {
		fail("GetPluginInfo after %v idle: %v", idle, err)
	}
	if n := atomic.LoadInt32(&dials); n != 1 {
		fail("%d connections were made; the first should have lasted", n)
	}
}
