package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"time"

	"github.com/gatehouse-id/gatehouse/server"
)

func serveCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		start := time.Now()
		cfg, err := c.config()
		if err != nil {
			return err
		}
		setGCPercent()
		// The log goes through a buffer (logbuf.go): an access log line
		// per request must not cost a system call each.
		buf := newLogBuffer(c.io.err)
		logCtx, stopLog := context.WithCancel(context.WithoutCancel(ctx))
		logDone := make(chan struct{})
		go func() {
			defer close(logDone)
			buf.run(logCtx)
		}()
		defer func() {
			stopLog()
			<-logDone
		}()
		log := slog.New(flushingHandler{cfg.NewLogger(buf).Handler(), buf})
		c.log = log
		a, err := c.app(ctx)
		if err != nil {
			return err
		}
		if a.devKey {
			log.Warn("no master key configured: using a generated development key file; set GATEHOUSE_MASTER_KEY (32 random bytes, base64) in production",
				"file", cfg.DevMasterKeyPath())
		}
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
		}
		// The profiler, when configured: loopback only, apart from the
		// public listener.
		var debugDone chan error
		if cfg.DebugAddr != "" {
			dln, err := server.ListenDebug(cfg.DebugAddr)
			if err != nil {
				ln.Close()
				return err
			}
			debugDone = make(chan error, 1)
			go func() { debugDone <- server.ServeDebug(ctx, dln, log) }()
		}
		log.Info("gatehouse started", "version", version(), "database", cfg.DatabaseKind(),
			"startup", time.Since(start).Round(time.Millisecond).String())
		err = a.Run(ctx, ln)
		if debugDone != nil {
			err = errors.Join(err, <-debugDone)
		}
		log.Info("gatehouse stopped")
		return err
	}
}

// serverGCPercent is the garbage collector's target for the server when
// GOGC is not set: the heap may grow to three times what is live between
// collections rather than twice. A node's live heap is tens of MiB, so
// this costs a few MiB at the request rates of the load suite and some
// 50 MiB during a burst of 200 password sign-ins (each argon2id hash
// allocates 19 MiB), and gives back 10-15% of the CPU the collector
// took on those paths (docs/benchmarks.md).
const serverGCPercent = 200

// setGCPercent applies serverGCPercent unless the operator chose with
// GOGC.
func setGCPercent() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(serverGCPercent)
	}
}
