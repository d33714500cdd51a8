package sqlite

import (
	"context"
	"time"
)

// SQLite's writer copies the WAL back into the database file itself, by
// default when a commit leaves the WAL over 1,000 pages: the commit that
// crosses the line pays for copying every page and for an fsync, while
// every other write waits for it. The store runs that copy on a connection
// of its own instead, every checkpointInterval, beside the writer: a
// PASSIVE checkpoint copies what no reader still needs and never blocks
// the writer or a reader. A page changed many times between two
// checkpoints is copied once. The writer checkpoints itself only past
// backstopCheckpointPages, should the checkpointer fall behind.

// checkpointInterval is how often the checkpointer runs.
const checkpointInterval = 500 * time.Millisecond

// backstopCheckpointPages is the WAL size (4 KiB pages) at which the
// writer checkpoints itself.
const backstopCheckpointPages = 10000

// runCheckpoints checkpoints every checkpointInterval until the store
// closes, then once more.
func (s *Store) runCheckpoints() {
	defer close(s.checkpointsDone)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopCheckpoints:
			s.checkpoint(context.Background())
			return
		case <-t.C:
			s.checkpoint(context.Background())
		}
	}
}

// checkpoint runs one PASSIVE checkpoint. A failure (the file busy, the
// schema not there yet) is left for the next one: the writer's backstop
// bounds the WAL meanwhile.
func (s *Store) checkpoint(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var busy, frames, copied int64
	_ = s.ck.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
}
