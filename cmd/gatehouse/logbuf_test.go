package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for the flusher and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogBuffer(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	buf := newLogBuffer(&out)
	log := slog.New(flushingHandler{slog.NewJSONHandler(buf, nil), buf}).With("node", "a")

	log.Info("http request", "status", 200)
	if got := out.String(); got != "" {
		t.Fatalf("after an info line: got %q written, want it held in the buffer", got)
	}
	log.Warn("store slow")
	got := out.String()
	if !strings.Contains(got, `"msg":"http request"`) || !strings.Contains(got, `"msg":"store slow"`) {
		t.Fatalf("after a warning: got %q, want both lines written in order", got)
	}
	if strings.Index(got, "http request") > strings.Index(got, "store slow") {
		t.Errorf("lines out of order: %q", got)
	}

	log.Info("last line")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf.run(ctx)
	}()
	cancel()
	<-done
	if !strings.Contains(out.String(), `"msg":"last line"`) {
		t.Errorf("after the flusher stopped: got %q, want the last line written", out.String())
	}
}
