// Package kmsguard is the Go host SDK of the kmsguard policy plugin: what a scanner written in Go
// needs to launch `kmsguard serve` with HashiCorp go-plugin (or connect to one already running),
// read its manifest and stream resources to it. The messages and the typed PolicyPlugin stub are
// in the sub-package pluginv1, generated from proto/kmsguard/plugin/v1/plugin.proto.
//
// Built against Debian 12's packages (go-plugin 1.0.1, grpc-go 1.33, golang/protobuf 1.3.5) in
// GOPATH mode; docs/registering.md shows a whole host, and docs/plugin-protocol.md the protocol.
//
//	client, policy, err := kmsguard.Launch(kmsguard.NewClientConfig("/usr/bin/kmsguard"))
//	defer client.Kill()
//	result, err := kmsguard.Scan(ctx, policy, resources, nil)
package kmsguard

import (
	"context"
	"errors"
	"fmt"
	"os/exec"

	"kmsguard/sdk/go/kmsguard/pluginv1"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// PluginName is the key of the plugin in go-plugin's plugin map (ClientConfig.Plugins, Dispense).
const PluginName = "kmsguard"

// ProtocolVersion is GetPluginInfoResponse.protocol_version of the protocol this package speaks.
const ProtocolVersion = 1

// Handshake is what `kmsguard serve` expects from a go-plugin host: the plugin serves in go-plugin
// mode only when the magic cookie is set (a user who runs the binary by hand gets its usage
// instead), and speaks application protocol 1. Change the cookie only together with the plugin's
// --magic-cookie-key/--magic-cookie-value (or go_plugin: in its config file).
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "KMSGUARD_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "kmsguard",
}

// Plugin is the host side of the plugin for go-plugin's plugin map: its GRPCClient hands out the
// typed pluginv1.PolicyPluginClient, so `Dispense(PluginName)` returns one. It cannot serve (the
// plugin is the kmsguard binary) and has no net/rpc form: kmsguard speaks gRPC only.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
}

var _ plugin.GRPCPlugin = Plugin{}

// GRPCServer always fails: this type is for hosts.
func (Plugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("kmsguard.Plugin is the host side only; the plugin is the kmsguard binary")
}

// GRPCClient wraps go-plugin's connection in the typed stub.
func (Plugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return pluginv1.NewPolicyPluginClient(conn), nil
}

// Plugins returns a plugin map holding Plugin under PluginName, for ClientConfig.Plugins.
func Plugins() map[string]plugin.Plugin {
	return map[string]plugin.Plugin{PluginName: Plugin{}}
}

// NewClientConfig returns go-plugin's configuration for launching the kmsguard binary at path as
// `kmsguard serve ARGS...` (e.g. "--rules", "/etc/kmsguard/rules"): the Handshake, the plugin map,
// gRPC only, and AutoMTLS on (a one-time certificate pair for this plugin process, as Terraform
// sets it; the private Unix socket is then TLS as well). Adjust the fields before passing it to
// Launch or plugin.NewClient: Logger, Stderr, StartTimeout (go-plugin's default is one minute).
func NewClientConfig(path string, args ...string) *plugin.ClientConfig {
	return &plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          Plugins(),
		Cmd:              exec.Command(path, append([]string{"serve"}, args...)...),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
	}
}

// Launch starts the plugin described by config (from NewClientConfig), completes go-plugin's
// handshake and health check, and dispenses the typed stub. The plugin is SERVING once Launch
// returns: it prints its handshake line only after its rules are loaded. The caller owns the
// returned client and must call its Kill when done (it calls the plugin's GRPCController.Shutdown
// and waits for the process). On error the process, if any was started, has been killed, and the
// error says which step failed (the plugin's own stderr goes to config.Stderr and its log lines to
// config.Logger).
func Launch(config *plugin.ClientConfig) (*plugin.Client, pluginv1.PolicyPluginClient, error) {
	client := plugin.NewClient(config)
	rpcClient, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("kmsguard: starting the plugin: %w", err)
	}
	if v := client.NegotiatedVersion(); v != ProtocolVersion {
		client.Kill()
		return nil, nil, fmt.Errorf("kmsguard: the plugin negotiated protocol %d, this host speaks %d", v, ProtocolVersion)
	}
	raw, err := rpcClient.Dispense(PluginName)
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("kmsguard: dispensing %q: %w", PluginName, err)
	}
	policy, ok := raw.(pluginv1.PolicyPluginClient)
	if !ok {
		client.Kill()
		return nil, nil, fmt.Errorf("kmsguard: plugin %q is a %T; put kmsguard.Plugin{} in ClientConfig.Plugins", PluginName, raw)
	}
	return client, policy, nil
}
