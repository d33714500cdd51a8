package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"time"
)

// The profiler listener serves Go's net/http/pprof on an address of its
// own, apart from the public listener and its middleware, so that an
// operator can see where a running node spends its CPU. A profile holds
// memory contents (heap profiles, goroutine stacks with their arguments):
// the listener is off unless configured and refuses every address that
// is not loopback, so only someone already on the machine can reach it.

// DebugHandler returns the profiler's handlers under /debug/pprof/ on a
// mux of its own (never http.DefaultServeMux).
func DebugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// ListenDebug listens on addr for the profiler. The host must be a
// loopback IP address or localhost (which listens on 127.0.0.1 only, not
// on whatever the name resolves to), and the address actually bound is
// checked again: any other address is refused with an error.
func ListenDebug(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("debug listener: %q is not host:port: %w", addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" || !ip.Unmap().IsLoopback() {
		return nil, fmt.Errorf("debug listener: %q is not a loopback address; the profiler is served on loopback only", addr)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.Unmap().String(), port))
	if err != nil {
		return nil, fmt.Errorf("debug listener: %w", err)
	}
	bound, err := netip.ParseAddrPort(ln.Addr().String())
	if err != nil || !bound.Addr().Unmap().IsLoopback() {
		ln.Close()
		return nil, fmt.Errorf("debug listener: bound to %s, which is not loopback", ln.Addr())
	}
	return ln, nil
}

// ServeDebug serves DebugHandler on ln until ctx ends. A CPU profile
// runs for as long as its seconds parameter asks, so the write timeout
// leaves room for long ones.
func ServeDebug(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           DebugHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	if log != nil {
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
		log.Warn("serving the profiler", "addr", ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("debug listener: %w", err)
	case <-ctx.Done():
	}
	// Profiles in progress are abandoned: they end with the process.
	err := srv.Close()
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("debug listener: %w", err)
	}
	return nil
}
