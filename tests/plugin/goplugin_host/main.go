// A real HashiCorp go-plugin host (Debian's golang-github-hashicorp-go-plugin-dev) that launches
// `kmsguard serve` the way Terraform-style hosts do, dispenses the plugin over gRPC, and checks
// the handshake, health, GetPluginInfo, an Evaluate stream, the JSON log lines and the controller
// Shutdown. Usage: goplugin_host PATH-TO-KMSGUARD. Prints "OK" and exits 0, or says what failed
// and exits 1.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	pb "kmsguardpb"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

const ruleID = "aws-iam-inline-kms-decrypt-all-keys"

// kmsguardPlugin is the host side only: its client is the generated PolicyPlugin stub.
type kmsguardPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (kmsguardPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return fmt.Errorf("host only")
}

func (kmsguardPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return pb.NewPolicyPluginClient(conn), nil
}

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
	if len(os.Args) != 2 {
		fail("usage: goplugin_host PATH-TO-KMSGUARD")
	}
	stderr := &lockedBuffer{}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  1,
			MagicCookieKey:   "KMSGUARD_PLUGIN_MAGIC_COOKIE",
			MagicCookieValue: "kmsguard",
		},
		Plugins:          map[string]plugin.Plugin{"kmsguard": kmsguardPlugin{}},
		Cmd:              exec.Command(os.Args[1], "serve"),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     20 * time.Second,
		Stderr:           stderr,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "host", Output: os.Stderr, Level: hclog.Debug}),
	})
	defer client.Kill()

	started := time.Now()
	rpcClient, err := client.Client()
	if err != nil {
		fail("handshake: %v (plugin stderr: %s)", err, stderr.String())
	}
	fmt.Printf("handshake and connection took %v\n", time.Since(started))
	if client.NegotiatedVersion() != 1 {
		fail("negotiated version %d, want 1", client.NegotiatedVersion())
	}
	if err := rpcClient.Ping(); err != nil {
		fail("health check of service \"plugin\": %v", err)
	}
	raw, err := rpcClient.Dispense("kmsguard")
	if err != nil {
		fail("dispense: %v", err)
	}
	policy := raw.(pb.PolicyPluginClient)

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

	stream, err := policy.Evaluate(ctx)
	if err != nil {
		fail("Evaluate: %v", err)
	}
	star := role("star-role", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}`)
	scoped := role("scoped-role", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}`)
	requests := []*pb.EvaluateRequest{
		{Kind: &pb.EvaluateRequest_ScanStart{ScanStart: &pb.ScanStart{ScanId: "go-host"}}},
		{Kind: &pb.EvaluateRequest_ResourceBatch{ResourceBatch: &pb.ResourceBatch{
			Resources: []*pb.Resource{star, scoped}}}},
		{Kind: &pb.EvaluateRequest_ScanEnd{ScanEnd: &pb.ScanEnd{}}},
	}
	for _, r := range requests {
		if err := stream.Send(r); err != nil {
			fail("Evaluate send: %v", err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		fail("Evaluate close: %v", err)
	}
	verdicts := map[string]pb.Status{}
	var summary *pb.ScanSummary
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			fail("Evaluate recv: %v", err)
		}
		if batch := resp.GetFindingBatch(); batch != nil {
			for _, f := range batch.Findings {
				if f.RuleId == ruleID {
					verdicts[f.ResourceName] = f.Status
				}
			}
		}
		if s := resp.GetScanSummary(); s != nil {
			summary = s
		}
	}
	if verdicts["star-role"] != pb.Status_STATUS_FAIL || verdicts["scoped-role"] != pb.Status_STATUS_PASS {
		fail("verdicts for %s: %v, want star-role FAIL and scoped-role PASS", ruleID, verdicts)
	}
	if summary == nil || summary.ScanId != "go-host" || summary.ResourcesReceived != 2 ||
		summary.ResourcesEvaluated != 2 {
		fail("summary %v", summary)
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

	// Every stderr line must be one of hclog's JSON entries, which go-plugin re-logs by level.
	lines := 0
	scanner := bufio.NewScanner(bytes.NewBufferString(stderr.String()))
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
	fmt.Println("OK")
}
