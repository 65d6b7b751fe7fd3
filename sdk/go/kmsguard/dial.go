package kmsguard

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"kmsguard/sdk/go/kmsguard/pluginv1"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health/grpc_health_v1"
)

// HealthService is the name under which the plugin's grpc.health.v1 reports SERVING once its rules
// are loaded (NOT_SERVING before, and while it drains at shutdown).
const HealthService = "kmsguard.plugin.v1.PolicyPlugin"

// Conn is a connection to a plugin that runs on its own (`kmsguard serve --listen ...`, e.g. a
// systemd service): the typed stub, plus the health check and Close.
type Conn struct {
	pluginv1.PolicyPluginClient
	conn *grpc.ClientConn
}

// Dial connects to a running plugin at address: "unix:/path/to.sock" (also "unix:///path") or
// "HOST:PORT". tlsConfig nil means plaintext, which is accepted only for a Unix socket or a
// loopback address (the plugin refuses plaintext elsewhere too); for TLS or mTLS pass the CA in
// RootCAs and, for mTLS, the host's certificate in Certificates. opts are passed on to grpc.Dial
// (keepalive, interceptors, message sizes). The connection is made lazily: Dial fails only on a
// malformed or insecure address; call WaitServing before the first scan.
func Dial(address string, tlsConfig *tls.Config, opts ...grpc.DialOption) (*Conn, error) {
	network, target, err := splitAddress(address)
	if err != nil {
		return nil, err
	}
	if tlsConfig == nil {
		if network == "tcp" && !isLoopback(target) {
			return nil, fmt.Errorf("kmsguard: %q is not a Unix socket or loopback address: pass a TLS configuration", address)
		}
		opts = append([]grpc.DialOption{grpc.WithInsecure()}, opts...)
	} else {
		opts = append([]grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(tlsConfig))}, opts...)
	}
	// grpc-go 1.33 has no "unix:" resolver: dial the socket ourselves and give gRPC a fixed
	// authority ("localhost", the name kmsguard's certificates carry).
	dialTarget := target
	if network == "unix" {
		dialTarget = "localhost"
		opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", target)
		}))
	}
	conn, err := grpc.Dial(dialTarget, opts...)
	if err != nil {
		return nil, fmt.Errorf("kmsguard: dial %s: %w", address, err)
	}
	return &Conn{PolicyPluginClient: pluginv1.NewPolicyPluginClient(conn), conn: conn}, nil
}

// WaitServing polls the plugin's health until it reports SERVING (its rules are loaded) or ctx
// ends; the error then names the last state or call error seen.
func (c *Conn) WaitServing(ctx context.Context) error {
	health := grpc_health_v1.NewHealthClient(c.conn)
	last := "no answer"
	for {
		response, err := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: HealthService},
			grpc.WaitForReady(true))
		if err == nil && response.Status == grpc_health_v1.HealthCheckResponse_SERVING {
			return nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = response.Status.String()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kmsguard: plugin not SERVING (%s): %w", last, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ClientConn is the underlying gRPC connection, e.g. for the negotiation or health services.
func (c *Conn) ClientConn() *grpc.ClientConn { return c.conn }

// Close closes the connection; the plugin goes on running.
func (c *Conn) Close() error { return c.conn.Close() }

func splitAddress(address string) (network, target string, err error) {
	if strings.HasPrefix(address, "unix:") {
		path := strings.TrimPrefix(strings.TrimPrefix(address, "unix:"), "//")
		if !strings.HasPrefix(path, "/") {
			return "", "", fmt.Errorf("kmsguard: %q: a Unix socket address needs an absolute path (unix:/run/kmsguard/plugin.sock)", address)
		}
		return "unix", path, nil
	}
	if _, _, err := net.SplitHostPort(address); err != nil {
		return "", "", fmt.Errorf("kmsguard: %q is neither unix:/PATH nor HOST:PORT: %v", address, err)
	}
	return "tcp", address, nil
}

func isLoopback(hostPort string) bool {
	host, _, _ := net.SplitHostPort(hostPort)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
