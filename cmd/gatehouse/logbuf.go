package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// The server writes an access log line for every request. Written one
// at a time, each line costs a write system call, which at thousands of
// requests a second is a noticeable share of the CPU. serve therefore
// writes its log through a logBuffer: lines are collected in memory and
// written out together at least every logFlushInterval, when the buffer
// fills, at once after a warning or an error, and when the server stops.
// A crash of the process itself may lose the lines of the last interval;
// a panic in a handler is recovered and logged as an error, which
// flushes.

// logFlushInterval bounds how long a log line waits in the buffer.
const logFlushInterval = 100 * time.Millisecond

// logBufferSize is what the buffer holds before it writes.
const logBufferSize = 64 << 10

// logBuffer is an io.Writer that buffers whole log lines; slog handlers
// write each record with one Write call. Lines are appended under a lock
// held only for the copy; a flush swaps the buffer for an empty one and
// writes the full one outside that lock, so loggers never wait for the
// system call.
type logBuffer struct {
	out io.Writer

	mu    sync.Mutex
	buf   []byte
	spare []byte

	// flushMu keeps flushes, and so the lines, in order.
	flushMu sync.Mutex
}

func newLogBuffer(w io.Writer) *logBuffer {
	return &logBuffer{out: w, buf: make([]byte, 0, logBufferSize), spare: make([]byte, 0, logBufferSize)}
}

// Write buffers p, and writes the buffer out once it holds logBufferSize.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.buf = append(b.buf, p...)
	full := len(b.buf) >= logBufferSize
	b.mu.Unlock()
	if full {
		if err := b.Flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes out what is buffered.
func (b *logBuffer) Flush() error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.mu.Lock()
	out := b.buf
	b.buf = b.spare[:0]
	b.mu.Unlock()
	var err error
	if len(out) > 0 {
		_, err = b.out.Write(out)
	}
	// A buffer that grew far past its size is let go.
	if cap(out) > 4*logBufferSize {
		out = make([]byte, 0, logBufferSize)
	}
	b.mu.Lock()
	b.spare = out[:0]
	b.mu.Unlock()
	return err
}

// run flushes every logFlushInterval until ctx ends, then once more.
func (b *logBuffer) run(ctx context.Context) {
	t := time.NewTicker(logFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			b.Flush()
			return
		case <-t.C:
			b.Flush()
		}
	}
}

// flushingHandler passes records to a handler writing into a logBuffer and
// flushes the buffer after every record at warning level or above, so
// that a problem is on disk the moment it is logged.
type flushingHandler struct {
	slog.Handler
	buf *logBuffer
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.buf.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.buf}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.buf}
}
