package server_test

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/server"
)

func TestListenDebugRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{
		":0",
		"0.0.0.0:0",
		"[::]:0",
		"10.1.2.3:0",
		"192.0.2.1:0",
		"[2001:db8::1]:0",
		"[fe80::1%lo]:0",
		"example.com:0",
		"127.0.0.1",
	} {
		t.Run(addr, func(t *testing.T) {
			t.Parallel()
			ln, err := server.ListenDebug(addr)
			if err == nil {
				ln.Close()
				t.Fatalf("ListenDebug(%q): got a listener on %s, want an error", addr, ln.Addr())
			}
		})
	}
}

func TestListenDebugLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		t.Run(addr, func(t *testing.T) {
			t.Parallel()
			ln, err := server.ListenDebug(addr)
			if err != nil {
				t.Fatalf("ListenDebug(%q): %v", addr, err)
			}
			defer ln.Close()
			bound := netip.MustParseAddrPort(ln.Addr().String())
			if !bound.Addr().IsLoopback() {
				t.Fatalf("ListenDebug(%q): bound to %s, want a loopback address", addr, bound)
			}
		})
	}
}

func TestServeDebug(t *testing.T) {
	t.Parallel()
	ln, err := server.ListenDebug("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.ServeDebug(ctx, ln, nil) }()
	base := "http://" + ln.Addr().String()

	resp, err := http.Get(base + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Fatalf("GET /debug/pprof/cmdline: got %d with %d bytes, want 200 with the command line", resp.StatusCode, len(body))
	}
	resp, err = http.Get(base + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("GET goroutine profile: got %d %q, want 200 with a profile", resp.StatusCode, truncateForLog(body))
	}
	resp, err = http.Get(base + "/oauth/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /oauth/token on the debug listener: got %d, want 404", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ServeDebug after cancel: got %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeDebug did not return after its context ended")
	}
}

func truncateForLog(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
