package kmsguard

import (
	"context"
	"errors"
	"fmt"
	"io"

	"kmsguard/sdk/go/kmsguard/pluginv1"

	"github.com/golang/protobuf/proto"
)

const (
	// DefaultBatchSize is how many resources go in one ResourceBatch unless ScanOptions says.
	DefaultBatchSize = 100
	// MaxBatchSize is the plugin's default Limits.max_batch_size; a larger batch ends the scan
	// with RESOURCE_EXHAUSTED.
	MaxBatchSize = 1000
	// MaxMessageBytes is the plugin's default Limits.max_message_bytes: a resource that cannot fit
	// in a request under it is not sent but reported (ResourceTooLarge).
	MaxMessageBytes = 16 << 20
	// batchByteBudget closes a batch before it passes a few MiB, well under MaxMessageBytes.
	batchByteBudget = 4 << 20
	// framingBytes is room for the request and batch framing around one resource.
	framingBytes = 1024
)

// Stable ResourceError codes (docs/errors/). All but ResourceTooLarge come from the plugin.
const (
	ResourceInvalid    = "resource_invalid"
	ResourceParseError = "resource_parse_error"
	ResourceAdaptError = "resource_adapt_error"
	EvalError          = "eval_error"
	// ResourceTooLarge is reported by Scan itself for a resource it did not send.
	ResourceTooLarge = "resource_too_large"
)

// ScanOptions tune one scan; the zero value (or nil) scans with every rule and full findings.
type ScanOptions struct {
	// ScanID is echoed in the summary.
	ScanID string
	// RuleIDs restricts the scan to these rules; an unknown id fails it (INVALID_ARGUMENT).
	RuleIDs []string
	// BatchSize is the most resources per ResourceBatch: DefaultBatchSize when 0, at most the
	// plugin's Limits.max_batch_size (GetPluginInfo). Batches are also closed before 4 MiB.
	BatchSize int
	// SkipSpecificRemediation, SkipExplanation and OmitPassFindings are ScanStart's fields: the
	// host will not show generated remediation / explanation lines / PASS findings (PASS are then
	// only counted in the summary), and the plugin saves the work.
	SkipSpecificRemediation bool
	SkipExplanation         bool
	OmitPassFindings        bool
	// OnFinding, when set, gets each finding as it arrives instead of ScanResult.Findings keeping
	// it, so a scan of any size runs in bounded memory. Called on the goroutine that called Scan.
	OnFinding func(*pluginv1.Finding)
}

// ScanResult is everything the plugin answered to one scan.
type ScanResult struct {
	// Findings in the order the plugin sent them (empty when ScanOptions.OnFinding is set).
	Findings []*pluginv1.Finding
	// ResourceErrors: resources that could not be evaluated at all; the scan went on without them.
	ResourceErrors []*pluginv1.ResourceError
	// Diagnostics: problems of the scan's joined picture (two inputs disagreeing on a Google Cloud
	// parent, a part of an asset the plugin's join could not read), to report beside the host's own.
	Diagnostics []*pluginv1.ScanDiagnostic
	// Summary: counts and coverage, including the resources Scan could not send.
	Summary *pluginv1.ScanSummary
}

// Send hands one resource to a running scan (see ScanStream). It returns an error once the scan
// has failed; the producer should stop then.
type Send func(*pluginv1.Resource) error

// Scan streams resources to the plugin in batches and collects the findings, resource errors and
// summary (one Evaluate call: ScanStart, ResourceBatch..., ScanEnd). A non-nil error means the scan
// as a whole failed: it is the call's gRPC status as grpc-go returns it (status.Code(err) gives
// FAILED_PRECONDITION when the plugin has no rules, INVALID_ARGUMENT for an unknown rule id,
// RESOURCE_EXHAUSTED for a batch over the plugin's limit, UNAVAILABLE while it shuts down, and
// ctx's CANCELLED or DEADLINE_EXCEEDED), or an error saying the stream ended without a summary.
// Problems with single resources are not errors: they are in ScanResult.ResourceErrors.
func Scan(ctx context.Context, client pluginv1.PolicyPluginClient, resources []*pluginv1.Resource,
	options *ScanOptions) (*ScanResult, error) {
	return ScanStream(ctx, client, func(send Send) error {
		for _, r := range resources {
			if err := send(r); err != nil {
				return err
			}
		}
		return nil
	}, options)
}

// ScanStream is Scan for a host that produces resources as it reads them: produce runs on a
// goroutine of its own and calls send for each resource, so the snapshot is never held whole
// (sending blocks while the plugin is busy: flow control). An error produce returns cancels the
// scan and is returned as is.
func ScanStream(ctx context.Context, client pluginv1.PolicyPluginClient, produce func(Send) error,
	options *ScanOptions) (*ScanResult, error) {
	if options == nil {
		options = &ScanOptions{}
	}
	batchSize := options.BatchSize
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	if batchSize > MaxBatchSize {
		batchSize = MaxBatchSize
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.Evaluate(ctx)
	if err != nil {
		return nil, err
	}

	// The writer: the plugin reads the next request only after answering the previous one, so
	// requests go out on their own goroutine while this one reads.
	var unsent []*pluginv1.ResourceError // owned by the writer until writerDone
	var producerErr error
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		start := &pluginv1.ScanStart{
			ScanId: options.ScanID, RuleIds: options.RuleIDs,
			SkipSpecificRemediation: options.SkipSpecificRemediation,
			SkipExplanation:         options.SkipExplanation,
			OmitPassFindings:        options.OmitPassFindings,
		}
		if stream.Send(&pluginv1.EvaluateRequest{Kind: &pluginv1.EvaluateRequest_ScanStart{ScanStart: start}}) != nil {
			return // the reader gets the call's status
		}
		var batch []*pluginv1.Resource
		batchBytes := 0
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			err := stream.Send(&pluginv1.EvaluateRequest{Kind: &pluginv1.EvaluateRequest_ResourceBatch{
				ResourceBatch: &pluginv1.ResourceBatch{Resources: batch}}})
			batch, batchBytes = nil, 0
			return err
		}
		var streamErr error
		send := func(r *pluginv1.Resource) error {
			if streamErr != nil {
				return streamErr
			}
			size := proto.Size(r)
			if size+framingBytes > MaxMessageBytes {
				unsent = append(unsent, &pluginv1.ResourceError{
					ResourceId: r.Id, Code: ResourceTooLarge, Source: r.Source,
					Message: fmt.Sprintf("resource %s is %d bytes serialized, over the plugin's limit of %d bytes; not sent",
						r.Id, size, MaxMessageBytes)})
				return nil
			}
			if len(batch) >= batchSize || batchBytes+size > batchByteBudget {
				if streamErr = flush(); streamErr != nil {
					return streamErr
				}
			}
			batch = append(batch, r)
			batchBytes += size
			return nil
		}
		if err := produce(send); err != nil {
			if streamErr == nil || !errors.Is(err, streamErr) {
				producerErr = err
				cancel()
			}
			return
		}
		if streamErr != nil || flush() != nil {
			return
		}
		if stream.Send(&pluginv1.EvaluateRequest{Kind: &pluginv1.EvaluateRequest_ScanEnd{ScanEnd: &pluginv1.ScanEnd{}}}) != nil {
			return
		}
		_ = stream.CloseSend()
	}()

	result := &ScanResult{}
	var recvErr error
	for {
		response, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			recvErr = err
			break
		}
		switch kind := response.Kind.(type) {
		case *pluginv1.EvaluateResponse_FindingBatch:
			for _, f := range kind.FindingBatch.Findings {
				if options.OnFinding != nil {
					options.OnFinding(f)
				} else {
					result.Findings = append(result.Findings, f)
				}
			}
		case *pluginv1.EvaluateResponse_ResourceError:
			result.ResourceErrors = append(result.ResourceErrors, kind.ResourceError)
		case *pluginv1.EvaluateResponse_ScanDiagnostic:
			result.Diagnostics = append(result.Diagnostics, kind.ScanDiagnostic)
		case *pluginv1.EvaluateResponse_ScanSummary:
			result.Summary = kind.ScanSummary
		default:
			// A kind from a newer protocol: nothing this host can use.
		}
	}
	if recvErr != nil {
		cancel() // unblocks a writer waiting on flow control
	}
	<-writerDone
	switch {
	case producerErr != nil:
		return nil, producerErr
	case recvErr != nil:
		return nil, recvErr
	case result.Summary == nil:
		return nil, errors.New("kmsguard: the plugin ended the scan without a summary")
	}
	result.Summary.ResourcesReceived += int64(len(unsent))
	result.Summary.ResourceErrors += int64(len(unsent))
	result.ResourceErrors = append(result.ResourceErrors, unsent...)
	return result, nil
}
