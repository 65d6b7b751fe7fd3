package kmsguard

// Scan against a fake plugin in process (bufconn), to see what the real plugin cannot show: how
// the resources were cut into batches, what a resource too large to send becomes, and how a
// broken stream or a failing producer ends the scan. tests/plugin/goplugin_host runs the SDK
// against the real binary.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"kmsguard/sdk/go/kmsguard/pluginv1"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// fakePlugin answers each batch with one PASS finding per resource and ScanEnd with a summary
// (unless noSummary), and records the size of every batch.
type fakePlugin struct {
	pluginv1.UnimplementedPolicyPluginServer
	mu        sync.Mutex
	batches   []int
	start     *pluginv1.ScanStart
	noSummary bool
}

func (f *fakePlugin) Evaluate(stream pluginv1.PolicyPlugin_EvaluateServer) error {
	received := int64(0)
	for {
		request, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch kind := request.Kind.(type) {
		case *pluginv1.EvaluateRequest_ScanStart:
			f.mu.Lock()
			f.start = kind.ScanStart
			f.mu.Unlock()
		case *pluginv1.EvaluateRequest_ResourceBatch:
			f.mu.Lock()
			f.batches = append(f.batches, len(kind.ResourceBatch.Resources))
			f.mu.Unlock()
			var findings []*pluginv1.Finding
			for _, r := range kind.ResourceBatch.Resources {
				received++
				findings = append(findings, &pluginv1.Finding{ResourceId: r.Id, Status: pluginv1.Status_STATUS_PASS})
			}
			if err := stream.Send(&pluginv1.EvaluateResponse{Kind: &pluginv1.EvaluateResponse_FindingBatch{
				FindingBatch: &pluginv1.FindingBatch{Findings: findings}}}); err != nil {
				return err
			}
		case *pluginv1.EvaluateRequest_ScanEnd:
			if f.noSummary {
				return nil
			}
			return stream.Send(&pluginv1.EvaluateResponse{Kind: &pluginv1.EvaluateResponse_ScanSummary{
				ScanSummary: &pluginv1.ScanSummary{ResourcesReceived: received, ResourcesEvaluated: received, Pass: received}}})
		}
	}
}

func startFake(t *testing.T, fake *fakePlugin) pluginv1.PolicyPluginClient {
	listener := bufconn.Listen(1 << 20)
	server := grpc.NewServer(grpc.MaxRecvMsgSize(MaxMessageBytes))
	pluginv1.RegisterPolicyPluginServer(server, fake)
	go server.Serve(listener)
	conn, err := grpc.Dial("bufnet", grpc.WithInsecure(),
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) { return listener.Dial() }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); server.Stop() })
	return pluginv1.NewPolicyPluginClient(conn)
}

func resources(n, documentBytes int) []*pluginv1.Resource {
	var out []*pluginv1.Resource
	for i := 0; i < n; i++ {
		out = append(out, &pluginv1.Resource{Id: fmt.Sprintf("r%d", i), Type: "AWS::IAM::Role",
			DocumentJson: []byte(strings.Repeat("x", documentBytes))})
	}
	return out
}

func scanContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestScanCutsBatchesByCount(t *testing.T) {
	fake := &fakePlugin{}
	result, err := Scan(scanContext(t), startFake(t, fake), resources(7, 10),
		&ScanOptions{ScanID: "count", BatchSize: 3, RuleIDs: []string{"a"}, OmitPassFindings: true})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(fake.batches) != "[3 3 1]" {
		t.Errorf("batches %v, want [3 3 1]", fake.batches)
	}
	if fake.start.ScanId != "count" || fmt.Sprint(fake.start.RuleIds) != "[a]" || !fake.start.OmitPassFindings ||
		fake.start.SkipExplanation {
		t.Errorf("ScanStart %v", fake.start)
	}
	if len(result.Findings) != 7 || result.Findings[6].ResourceId != "r6" || result.Summary.ResourcesReceived != 7 {
		t.Errorf("%d findings, summary %v", len(result.Findings), result.Summary)
	}
}

func TestScanDefaultBatchSizeAndCeiling(t *testing.T) {
	fake := &fakePlugin{}
	if _, err := Scan(scanContext(t), startFake(t, fake), resources(250, 1), nil); err != nil {
		t.Fatal(err)
	}
	big := &fakePlugin{}
	if _, err := Scan(scanContext(t), startFake(t, big), resources(1500, 1), &ScanOptions{BatchSize: 5000}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(fake.batches) != "[100 100 50]" || fmt.Sprint(big.batches) != "[1000 500]" {
		t.Errorf("batches %v and %v, want [100 100 50] and [1000 500]", fake.batches, big.batches)
	}
}

func TestScanCutsBatchesBeforeFourMiB(t *testing.T) {
	fake := &fakePlugin{}
	if _, err := Scan(scanContext(t), startFake(t, fake), resources(5, 1500*1024), nil); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(fake.batches) != "[2 2 1]" {
		t.Errorf("batches %v, want [2 2 1] (1.5 MiB resources, 4 MiB per batch)", fake.batches)
	}
}

func TestScanReportsAResourceTooLargeToSend(t *testing.T) {
	fake := &fakePlugin{}
	input := append(resources(1, 10), resources(1, MaxMessageBytes)[0])
	input[1].Id = "huge"
	input[1].Source = &pluginv1.SourceLocation{File: "export.json", JsonPointer: "/RoleDetailList/1"}
	var streamed []string
	result, err := Scan(scanContext(t), startFake(t, fake), input,
		&ScanOptions{OnFinding: func(f *pluginv1.Finding) { streamed = append(streamed, f.ResourceId) }})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(fake.batches) != "[1]" || fmt.Sprint(streamed) != "[r0]" || len(result.Findings) != 0 {
		t.Errorf("batches %v, streamed %v, kept %d", fake.batches, streamed, len(result.Findings))
	}
	if len(result.ResourceErrors) != 1 {
		t.Fatalf("resource errors %v", result.ResourceErrors)
	}
	e := result.ResourceErrors[0]
	if e.Code != ResourceTooLarge || e.ResourceId != "huge" || e.Source.GetJsonPointer() != "/RoleDetailList/1" ||
		!strings.Contains(e.Message, "over the plugin's limit") {
		t.Errorf("resource error %v", e)
	}
	if s := result.Summary; s.ResourcesReceived != 2 || s.ResourcesEvaluated != 1 || s.ResourceErrors != 1 {
		t.Errorf("summary %v, want 2 received, 1 evaluated, 1 error", s)
	}
}

func TestScanWithoutSummaryIsAnError(t *testing.T) {
	_, err := Scan(scanContext(t), startFake(t, &fakePlugin{noSummary: true}), resources(2, 1), nil)
	if err == nil || !strings.Contains(err.Error(), "without a summary") {
		t.Errorf("error %v, want one about the missing summary", err)
	}
}

func TestScanReturnsTheProducersError(t *testing.T) {
	broken := errors.New("the inventory went away")
	_, err := ScanStream(scanContext(t), startFake(t, &fakePlugin{}), func(send Send) error {
		for _, r := range resources(150, 1) {
			if err := send(r); err != nil {
				return err
			}
		}
		return broken
	}, nil)
	if err != broken {
		t.Errorf("error %v, want the producer's", err)
	}
}

func TestScanReturnsTheCallsStatus(t *testing.T) {
	ctx, cancel := context.WithCancel(scanContext(t))
	cancel()
	_, err := Scan(ctx, startFake(t, &fakePlugin{}), resources(1, 1), nil)
	if status.Code(err) != codes.Canceled {
		t.Errorf("error %v, want CANCELLED", err)
	}
}

func TestDialRefusesPlaintextBeyondLoopback(t *testing.T) {
	for _, address := range []string{"10.0.0.1:50051", "example.com:50051"} {
		if _, err := Dial(address, nil); err == nil || !strings.Contains(err.Error(), "TLS") {
			t.Errorf("Dial(%q) without TLS: %v", address, err)
		}
	}
	for _, address := range []string{"unix:relative.sock", "no-port", ""} {
		if _, err := Dial(address, nil); err == nil {
			t.Errorf("Dial(%q) succeeded", address)
		}
	}
	for _, address := range []string{"127.0.0.1:50051", "[::1]:50051", "localhost:1", "unix:/tmp/x.sock", "unix:///tmp/x.sock"} {
		conn, err := Dial(address, nil)
		if err != nil {
			t.Errorf("Dial(%q): %v", address, err)
			continue
		}
		conn.Close()
	}
}

func TestResourcesFromAuthorizationDetails(t *testing.T) {
	export := `{"UserDetailList": [{"UserName": "bob", "Arn": "arn:aws-cn:iam::111122223333:user/bob"}],
	  "GroupDetailList": null,
	  "Policies": [{"PolicyName": "ReadOnly", "Arn": "arn:aws:iam::aws:policy/ReadOnly"}]}
	 {"RoleDetailList": [{"RoleName": "r"}]}`
	got, err := ResourcesFromAuthorizationDetails(strings.NewReader(export), "gaad.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d resources, want 3", len(got))
	}
	bob, policy, role := got[0], got[1], got[2]
	if bob.Type != "AWS::IAM::User" || bob.Name != "bob" || bob.Partition != "aws-cn" || bob.Account != "111122223333" ||
		bob.Id != "arn:aws-cn:iam::111122223333:user/bob" || bob.Source.JsonPointer != "/UserDetailList/0" ||
		!strings.Contains(string(bob.DocumentJson), `"UserName": "bob"`) {
		t.Errorf("user %v", bob)
	}
	if policy.Type != "AWS::IAM::Policy" || policy.Account != "" || policy.Partition != "aws" {
		t.Errorf("AWS managed policy %v", policy)
	}
	if role.Type != "AWS::IAM::Role" || role.Id != "gaad.json#/RoleDetailList/0" || role.Source.File != "gaad.json" {
		t.Errorf("role of the second page %v", role)
	}
	for _, bad := range []string{`{"UserDetailList": [`, `{"RoleDetailList": {}}`, `{"Policies": [1]}`, ``, `[]`} {
		if _, err := ResourcesFromAuthorizationDetails(strings.NewReader(bad), "bad.json"); err == nil ||
			!strings.HasPrefix(err.Error(), "bad.json") {
			t.Errorf("%q: error %v, want one naming bad.json", bad, err)
		}
	}
}
