// An example scanner host in Go: it launches the kmsguard plugin with HashiCorp go-plugin (or
// connects to one already running), reads its manifest, scans an IAM authorization-details export
// and prints every FAIL, WARNING and ERROR finding, then the summary. docs/registering.md walks
// through it.
//
// Usage:
//
//	go-host -plugin /usr/bin/kmsguard EXPORT.json     launch `kmsguard serve` (go-plugin, AutoMTLS)
//	go-host -connect unix:/run/kmsguard/plugin.sock EXPORT.json
//
// Exit status: 0 no FAIL, 1 at least one FAIL, 2 the scan could not be done.
//
// Build it offline against Debian's Go packages with the SDK in GOPATH (sdk/go/with-gopath.sh):
//
//	sdk/go/with-gopath.sh /tmp/go-host go build -o /tmp/go-host/go-host docs/examples/go-host/main.go
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"kmsguard/sdk/go/kmsguard"
	"kmsguard/sdk/go/kmsguard/pluginv1"

	hclog "github.com/hashicorp/go-hclog"
)

func main() { os.Exit(run()) }

// run returns the exit status, so that the deferred Kill and Close run before the process exits.
func run() int {
	pluginPath := flag.String("plugin", "", "the kmsguard binary to launch")
	address := flag.String("connect", "", "address of a running `kmsguard serve` (unix:/PATH or 127.0.0.1:PORT)")
	flag.Parse()
	if flag.NArg() != 1 || (*pluginPath == "") == (*address == "") {
		fmt.Fprintln(os.Stderr, "usage: go-host (-plugin KMSGUARD | -connect ADDRESS) EXPORT.json")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// 1. The resources: here an export read from a file; a scanner sends its own inventory.
	file, err := os.Open(flag.Arg(0))
	if err != nil {
		return failed(err)
	}
	resources, err := kmsguard.ResourcesFromAuthorizationDetails(file, flag.Arg(0))
	file.Close()
	if err != nil {
		return failed(err)
	}

	// 2. Launch (go-plugin) or connect: either way, a typed PolicyPlugin stub.
	var policy pluginv1.PolicyPluginClient
	if *pluginPath != "" {
		config := kmsguard.NewClientConfig(*pluginPath)
		// go-plugin logs at trace level by default; the plugin's own log lines are relogged.
		config.Logger = hclog.New(&hclog.LoggerOptions{Name: "kmsguard", Level: hclog.Warn})
		client, stub, err := kmsguard.Launch(config)
		if err != nil {
			return failed(err)
		}
		defer client.Kill() // GRPCController.Shutdown, then waits for the process
		policy = stub
	} else {
		conn, err := kmsguard.Dial(*address, nil)
		if err != nil {
			return failed(err)
		}
		defer conn.Close()
		// A plugin that is there is SERVING within seconds; one that is not (no socket, refused,
		// a TLS mismatch) is said after 10 s rather than after the whole scan's budget.
		ready, cancelReady := context.WithTimeout(ctx, 10*time.Second)
		defer cancelReady()
		if err := conn.WaitServing(ready); err != nil {
			return failed(err)
		}
		policy = conn
	}

	// 3. The manifest: what the plugin is, its rules and limits.
	info, err := policy.GetPluginInfo(ctx, &pluginv1.GetPluginInfoRequest{})
	if err != nil {
		return failed(err)
	}
	if info.ProtocolVersion != kmsguard.ProtocolVersion {
		return failed(fmt.Errorf("plugin speaks protocol %d, this host %d", info.ProtocolVersion, kmsguard.ProtocolVersion))
	}
	fmt.Printf("plugin %s %s: %d rules, batches of at most %d resources\n",
		info.Name, info.Version, len(info.Rules), info.Limits.GetMaxBatchSize())

	// 4. One scan: batches out, findings back.
	result, err := kmsguard.Scan(ctx, policy, resources, &kmsguard.ScanOptions{
		ScanID: "go-host", SkipSpecificRemediation: true, OmitPassFindings: true})
	if err != nil {
		return failed(err)
	}
	for _, f := range result.Findings {
		status := pluginv1.Status_name[int32(f.Status)]
		severity := pluginv1.Severity_name[int32(f.Severity)]
		fmt.Printf("%s %s %s %s %s: %s\n", status[len("STATUS_"):], severity[len("SEVERITY_"):],
			f.RuleId, f.ResourceType, f.ResourceName, f.Message)
	}
	for _, e := range result.ResourceErrors {
		fmt.Printf("RESOURCE-ERROR %s %s: %s\n", e.Code, e.ResourceId, e.Message)
	}
	s := result.Summary
	fmt.Printf("summary: %d resources received, %d evaluated, %d errors; %d FAIL, %d WARNING, %d ERROR, %d PASS, %d SUPPRESSED\n",
		s.ResourcesReceived, s.ResourcesEvaluated, s.ResourceErrors, s.Fail, s.Warning, s.Error, s.Pass, s.Suppressed)
	if s.Fail > 0 {
		return 1
	}
	return 0
}

func failed(err error) int {
	fmt.Fprintln(os.Stderr, "go-host:", err)
	return 2
}
