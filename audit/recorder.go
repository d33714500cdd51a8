package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Options bound a Recorder's queue and batches. The zero value is ready to
// use.
type Options struct {
	// QueueSize is how many events may wait to be written; when it is
	// full, Record blocks. 0 means 4096.
	QueueSize int
	// MaxBatch is the most events appended in one store call. 0 means 256.
	MaxBatch int
	// MaxDelay is how long the writer waits for more events after the
	// first of a batch before writing it. 0 (or less) means 2ms.
	MaxDelay time.Duration
	// MaxHeads bounds the cached chain heads (one per tenant that
	// recorded); past it the cache starts over. 0 means 10000.
	MaxHeads int
}

func (o Options) withDefaults() Options {
	if o.QueueSize <= 0 {
		o.QueueSize = 4096
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 2 * time.Millisecond
	}
	if o.MaxHeads <= 0 {
		o.MaxHeads = 10000
	}
	return o
}

// ErrClosed is returned for events recorded after Close.
var ErrClosed = errors.New("audit: recorder closed")

// Recorder appends audit events to the store's chains with group commit.
// It is safe for concurrent use. Close it to write what is queued.
type Recorder struct {
	store gatehouse.AuditStore
	key   []byte
	clock gatehouse.Clock
	log   *slog.Logger
	opt   Options

	queue chan item

	// mu guards closed. A sender registers in inflight under the read
	// lock, so once Close has set closed, inflight counts every sender
	// that may still put an item in the queue.
	mu       sync.RWMutex
	closed   bool
	inflight sync.WaitGroup

	stop      chan struct{} // closed by Close: drain and exit
	stopped   chan struct{} // closed by the writer when it exits
	ctx       context.Context
	cancel    context.CancelFunc // aborts the writer's store calls
	closeErr  error
	closeOnce sync.Once

	// Writer state: touched by the writer goroutine only.
	mac         hash.Hash // HMAC-SHA256 under key, for chainHashWith
	heads       map[string]head
	failedSince error // a write failure not yet reported to a Flush
}

// head is the last event of a chain as the writer knows it.
type head struct {
	seq  int64
	hash []byte
}

// item is one entry of the queue: an event, or a flush marker (ev nil).
// done, when set, receives the outcome once the item is written.
type item struct {
	ev   *gatehouse.AuditEvent
	done chan error
}

// NewRecorder starts a Recorder over store. key is the chain key
// (secret.Sealer.AuditKey); clock, which must not be nil, stamps events
// that have no time; log may be nil to discard logs.
func NewRecorder(store gatehouse.AuditStore, key []byte, clock gatehouse.Clock, log *slog.Logger, opt Options) *Recorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opt = opt.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Recorder{
		store:   store,
		key:     append([]byte(nil), key...),
		clock:   clock,
		log:     log,
		opt:     opt,
		queue:   make(chan item, opt.QueueSize),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,
		heads:   make(map[string]head),
		mac:     hmac.New(sha256.New, key),
	}
	go r.run()
	return r
}

// Record queues ev and returns without waiting for the write. An empty ID
// is filled with a new id and a zero Time with the clock's. When the queue
// is full, Record waits for room rather than drop the event, until ctx
// ends; an event it could not queue (ctx ended, or the recorder is
// closed) is logged as lost.
func (r *Recorder) Record(ctx context.Context, ev gatehouse.AuditEvent) {
	if err := r.enqueue(ctx, r.prepare(ev), nil); err != nil {
		r.log.Error("audit event lost", "tenant", ev.TenantID, "action", ev.Action, "err", err)
	}
}

// RecordSync queues ev like Record and waits until it is written. It
// returns an error when the event could not be queued, when the write
// failed, or when ctx ended first (the event may still be written later).
func (r *Recorder) RecordSync(ctx context.Context, ev gatehouse.AuditEvent) error {
	done := make(chan error, 1)
	if err := r.enqueue(ctx, r.prepare(ev), done); err != nil {
		return fmt.Errorf("record audit event: %w", err)
	}
	return r.wait(ctx, done, "record audit event")
}

// Flush waits until every event queued before it is written. It returns
// the error of a write that failed since the previous Flush, if any.
func (r *Recorder) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	if err := r.enqueue(ctx, nil, done); err != nil {
		return fmt.Errorf("flush audit events: %w", err)
	}
	return r.wait(ctx, done, "flush audit events")
}

func (r *Recorder) wait(ctx context.Context, done chan error, op string) error {
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
}

// Close stops accepting events, writes every queued event and stops the
// writer. If ctx ends first, the writer gives up and the events still
// queued are lost (and logged). Calling Close again returns the first
// call's result.
func (r *Recorder) Close(ctx context.Context) error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		close(r.stop)
		select {
		case <-r.stopped:
		case <-ctx.Done():
			r.cancel()
			<-r.stopped
			r.closeErr = fmt.Errorf("close audit recorder: %w", ctx.Err())
		}
		r.cancel()
	})
	return r.closeErr
}

// prepare copies ev (details included, so the caller may reuse its map)
// and fills its ID and time.
func (r *Recorder) prepare(ev gatehouse.AuditEvent) *gatehouse.AuditEvent {
	if ev.ID == "" {
		ev.ID = secret.NewID()
	}
	if ev.Time.IsZero() {
		ev.Time = r.clock()
	}
	// The stores keep microseconds in UTC; hash exactly what they keep.
	ev.Time = ev.Time.UTC().Truncate(time.Microsecond)
	// Likewise text: much of it comes from requests (a user agent, a name
	// typed in a form), and PostgreSQL refuses what is not UTF-8 or holds
	// a NUL, which would lose the whole batch written with it.
	for _, p := range []*string{&ev.Actor, &ev.Action, &ev.Target, &ev.Result, &ev.IP, &ev.UserAgent} {
		*p = storable(*p)
	}
	if ev.Details != nil {
		details := make(map[string]string, len(ev.Details))
		for k, v := range ev.Details {
			details[storable(k)] = storable(v)
		}
		ev.Details = details
	}
	ev.Seq, ev.PrevHash, ev.Hash = 0, nil, nil
	return &ev
}

// storable returns s as every store keeps it: UTF-8 without NUL, each
// NUL and each run of bytes that are not UTF-8 replaced by U+FFFD.
func storable(s string) string {
	if gatehouse.StorableText(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func (r *Recorder) enqueue(ctx context.Context, ev *gatehouse.AuditEvent, done chan error) error {
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return ErrClosed
	}
	r.inflight.Add(1)
	r.mu.RUnlock()
	defer r.inflight.Done()
	it := item{ev: ev, done: done}
	select {
	case r.queue <- it:
		return nil
	default:
	}
	select {
	case r.queue <- it:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("audit queue full: %w", ctx.Err())
	}
}

// run is the writer goroutine: it gathers a batch (up to MaxBatch items,
// or whatever arrives within MaxDelay of the first), writes it, and
// repeats; on stop it writes what is left and exits.
func (r *Recorder) run() {
	defer close(r.stopped)
	batch := make([]item, 0, r.opt.MaxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case it := <-r.queue:
			batch = append(batch, it)
		case <-r.stop:
			r.drain(batch)
			return
		}
		timer.Reset(r.opt.MaxDelay)
	gather:
		for len(batch) < r.opt.MaxBatch && batch[len(batch)-1].ev != nil {
			select {
			case it := <-r.queue:
				batch = append(batch, it)
			case <-timer.C:
				break gather
			case <-r.stop:
				break gather
			}
		}
		timer.Stop()
		r.write(batch)
		clear(batch)
		batch = batch[:0]
	}
}

// drain writes what is queued after stop, and what senders that were
// already waiting for room still add, until the last of them is done.
func (r *Recorder) drain(batch []item) {
	sendersDone := make(chan struct{})
	go func() {
		r.inflight.Wait()
		close(sendersDone)
	}()
	add := func(it item) {
		batch = append(batch, it)
		if len(batch) >= r.opt.MaxBatch {
			r.write(batch)
			clear(batch)
			batch = batch[:0]
		}
	}
	for {
		select {
		case it := <-r.queue:
			add(it)
			continue
		case <-sendersDone:
		}
		break
	}
	// Nobody can send any more: write the rest.
	for {
		select {
		case it := <-r.queue:
			add(it)
			continue
		default:
		}
		break
	}
	if len(batch) > 0 {
		r.write(batch)
	}
}

// write appends the events of batch and reports the outcome to whoever
// waits on an item.
func (r *Recorder) write(batch []item) {
	events := make([]*gatehouse.AuditEvent, 0, len(batch))
	for _, it := range batch {
		if it.ev != nil {
			events = append(events, it.ev)
		}
	}
	var err error
	if len(events) > 0 {
		if err = r.append(events); err != nil {
			r.failedSince = err
			r.log.Error("audit events lost", "count", len(events), "err", err)
		}
	}
	for _, it := range batch {
		if it.done == nil {
			continue
		}
		if it.ev == nil { // a flush reports any failure since the last one
			it.done <- r.failedSince
			r.failedSince = nil
			continue
		}
		it.done <- err
	}
}

// Retry pacing for append: conflicts are retried at once a few times
// (another node appended; the fresh head is one read away), then, like
// store failures, with growing pauses until the write succeeds or Close
// gives up.
const (
	immediateRetries = 3
	minBackoff       = time.Millisecond
	maxBackoff       = time.Second
)

// append chains events onto their tenants' heads and appends them in one
// store call, retrying as described above. Only an invalid batch, or
// Close giving up, makes it fail.
func (r *Recorder) append(events []*gatehouse.AuditEvent) error {
	backoff := minBackoff
	for attempt := 0; ; attempt++ {
		err := r.chain(events)
		if err == nil {
			err = r.store.AppendAuditEvents(r.ctx, events)
			if err == nil {
				r.advance(events)
				return nil
			}
		}
		if r.ctx.Err() != nil {
			return fmt.Errorf("append audit events: %w", err)
		}
		code := gatehouse.ErrorCode(err)
		if code == gatehouse.EINVALID {
			return fmt.Errorf("append audit events: %w", err)
		}
		// After a conflict, or any failure, the cached heads of these
		// tenants may be wrong: read them again.
		for _, ev := range events {
			delete(r.heads, ev.TenantID)
		}
		if code == gatehouse.ECONFLICT && attempt < immediateRetries {
			continue
		}
		if code != gatehouse.ECONFLICT {
			r.log.Warn("audit append failed; retrying", "events", len(events), "attempt", attempt+1, "err", err)
		}
		select {
		case <-time.After(backoff):
		case <-r.ctx.Done():
			return fmt.Errorf("append audit events: %w", err)
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// chain assigns Seq, PrevHash and Hash to events from the cached heads,
// loading the head of a tenant seen for the first time. It does not change
// the cache: that happens only once the append succeeded.
func (r *Recorder) chain(events []*gatehouse.AuditEvent) error {
	next := make(map[string]head)
	for _, ev := range events {
		h, ok := next[ev.TenantID]
		if !ok {
			var err error
			if h, err = r.head(ev.TenantID); err != nil {
				return err
			}
		}
		ev.Seq = h.seq + 1
		ev.PrevHash = h.hash
		ev.Hash = chainHashWith(r.mac, ev)
		next[ev.TenantID] = head{seq: ev.Seq, hash: ev.Hash}
	}
	return nil
}

func (r *Recorder) head(tenantID string) (head, error) {
	if h, ok := r.heads[tenantID]; ok {
		return h, nil
	}
	last, err := r.store.LastAuditEvent(r.ctx, tenantID)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return head{}, nil
	case err != nil:
		return head{}, fmt.Errorf("read audit chain head: %w", err)
	}
	return head{seq: last.Seq, hash: last.Hash}, nil
}

// advance records the new heads after a successful append.
func (r *Recorder) advance(events []*gatehouse.AuditEvent) {
	if len(r.heads) >= r.opt.MaxHeads {
		clear(r.heads)
	}
	for _, ev := range events {
		r.heads[ev.TenantID] = head{seq: ev.Seq, hash: ev.Hash}
	}
}
