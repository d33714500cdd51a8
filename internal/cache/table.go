package cache

import "sync"

// table is what every cache here shares: entries by key, a generation that
// moves on at each invalidation, and a switch that its store turns off
// while it cannot hear about changes made elsewhere.
//
// A lookup that misses takes the generation along with the miss, loads
// from the database, and offers what it loaded with that generation. An
// invalidation in between has moved the generation on, so put refuses a
// value that may predate the change it announced.
//
// A stored value is never changed in place (an update replaces it), so a
// caller may copy what get returned after the lock is released, and
// lookups do not queue behind each other's copying.
type table[K comparable, V any] struct {
	mu      sync.RWMutex
	gen     uint64
	entries map[K]V
	on      bool
}

// get returns the entry under key, whether the table may serve it, and the
// generation to pass to put after a miss.
func (t *table[K, V]) get(key K) (v V, gen uint64, ok bool) {
	t.mu.RLock()
	v, ok = t.entries[key]
	gen, on := t.gen, t.on
	t.mu.RUnlock()
	return v, gen, ok && on
}

// put stores v under key, unless the table is off or, for a value that a
// later change could make wrong (lasting false), the table was invalidated
// since gen was read. Past limit entries the table starts over: dropping
// everything bounds memory at no cost to lookups, and what is in use is
// loaded again at once.
func (t *table[K, V]) put(key K, v V, gen uint64, lasting bool, limit int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.on || (!lasting && gen != t.gen) {
		return
	}
	if t.entries == nil || len(t.entries) >= limit {
		t.entries = make(map[K]V)
	}
	t.entries[key] = v
}

// forget drops the entry under key, after a change to it.
func (t *table[K, V]) forget(key K) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
	delete(t.entries, key)
}

// clear drops every entry, after a change that may concern any of them.
func (t *table[K, V]) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
	t.entries = nil
}

// bump moves the generation on and keeps the entries, for a cache whose
// entries record the generation they hold for.
func (t *table[K, V]) bump() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
}

// setOn turns the table on or off, emptying it either way: what it held
// was not covered while the store could not hear about changes.
func (t *table[K, V]) setOn(on bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
	t.entries = nil
	t.on = on
}
