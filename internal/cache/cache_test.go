package cache

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// subject is one cache as a store's lookup sees it: a lookup that misses
// hands out a generation, the store loads, and offers what it loaded with
// that generation.
type subject struct {
	get        func() (gen uint64, hit bool)
	put        func(gen uint64)
	invalidate func()
	setOn      func(on bool)
	// forget drops one entry, the one looked up or another (user cache
	// only).
	forget func(same bool)
	// touch records a use of the credential looked up (client cache
	// only).
	touch func()
}

func newSubject(kind string) subject {
	switch kind {
	case "client":
		c := new(Clients)
		return subject{
			get: func() (uint64, bool) { _, gen, ok := c.Get("cid"); return gen, ok },
			put: func(gen uint64) {
				c.Put("cid", &gatehouse.Client{ID: "c1", Credentials: []gatehouse.ClientCredential{{ClientID: "cid"}}}, gen)
			},
			invalidate: c.Invalidate,
			setOn:      c.SetOn,
			touch:      func() { c.Touch("cid", time.Unix(1, 0)) },
		}
	case "user":
		c := new(Users)
		return subject{
			get:        func() (uint64, bool) { _, gen, ok := c.Get("t1", "u1"); return gen, ok },
			put:        func(gen uint64) { c.Put(&gatehouse.User{TenantID: "t1", ID: "u1"}, gen) },
			invalidate: c.Invalidate,
			setOn:      c.SetOn,
			forget: func(same bool) {
				if same {
					c.Forget("t1", "u1")
				} else {
					c.Forget("t1", "u2")
				}
			},
		}
	case "live answer", "revoked answer":
		c := new(Revocations)
		revoked := kind == "revoked answer"
		return subject{
			get:        func() (uint64, bool) { _, gen, ok := c.Get("j1", "g1"); return gen, ok },
			put:        func(gen uint64) { c.Put("j1", "g1", revoked, gen) },
			invalidate: c.Invalidate,
			setOn:      c.SetOn,
		}
	}
	panic("unknown cache " + kind)
}

// TestLoadRacingInvalidation checks the rule that keeps a lookup racing a
// change from storing what it read before the change: what happens
// between the miss and the offer decides whether the offer is kept. Only a
// revoked answer, which no change makes live again, is kept whenever it
// was read; a touch is not a change to guard against.
func TestLoadRacingInvalidation(t *testing.T) {
	t.Parallel()
	kinds := []string{"client", "user", "live answer", "revoked answer"}
	tests := []struct {
		name    string
		between func(s subject)
		kinds   []string        // the caches the event applies to; nil: all
		want    map[string]bool // kept, by cache
	}{
		{
			name:    "nothing",
			between: func(subject) {},
			want:    map[string]bool{"client": true, "user": true, "live answer": true, "revoked answer": true},
		},
		{
			name:    "invalidated",
			between: func(s subject) { s.invalidate() },
			want:    map[string]bool{"revoked answer": true},
		},
		{
			name:    "turned off",
			between: func(s subject) { s.setOn(false) },
			want:    map[string]bool{},
		},
		{
			name:    "turned off and on again",
			between: func(s subject) { s.setOn(false); s.setOn(true) },
			want:    map[string]bool{"revoked answer": true},
		},
		{
			name:    "the same user forgotten",
			between: func(s subject) { s.forget(true) },
			kinds:   []string{"user"},
			want:    map[string]bool{},
		},
		{
			// The generation is the cache's, not the entry's: one
			// counter keeps lookups cheap, at the price of a reload.
			name:    "another user forgotten",
			between: func(s subject) { s.forget(false) },
			kinds:   []string{"user"},
			want:    map[string]bool{},
		},
		{
			name:    "the credential touched",
			between: func(s subject) { s.touch() },
			kinds:   []string{"client"},
			want:    map[string]bool{"client": true},
		},
	}
	for _, tt := range tests {
		applies := tt.kinds
		if applies == nil {
			applies = kinds
		}
		for _, kind := range applies {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				s := newSubject(kind)
				s.setOn(true)
				gen, hit := s.get()
				if hit {
					t.Fatalf("an empty cache answered")
				}
				tt.between(s)
				s.put(gen)
				if _, got := s.get(); got != tt.want[kind] {
					t.Errorf("kept: got %v, want %v", got, tt.want[kind])
				}
				// A load that starts after the event is kept, unless the
				// cache is off.
				gen, _ = s.get()
				s.put(gen)
				_, got := s.get()
				if want := tt.name != "turned off"; got != want {
					t.Errorf("a later load kept: got %v, want %v", got, want)
				}
			})
		}
	}
}

// TestRevocationAnswers checks how long each answer holds: a live one
// until the next revocation, a revoked one until the cache is turned off.
func TestRevocationAnswers(t *testing.T) {
	t.Parallel()
	var c Revocations
	c.SetOn(true)
	_, gen, _ := c.Get("live", "g1")
	c.Put("live", "g1", false, gen)
	c.Put("revoked", "g1", true, gen)
	for _, q := range []struct {
		jti                    string
		wantRevoked, wantFound bool
	}{{"live", false, true}, {"revoked", true, true}, {"unknown", false, false}} {
		if revoked, _, ok := c.Get(q.jti, "g1"); revoked != q.wantRevoked || ok != q.wantFound {
			t.Errorf("%s before a revocation: got %v (cached %v), want %v (cached %v)", q.jti, revoked, ok, q.wantRevoked, q.wantFound)
		}
	}
	c.Invalidate()
	if _, _, ok := c.Get("live", "g1"); ok {
		t.Errorf("a live answer outlived a revocation")
	}
	if revoked, _, ok := c.Get("revoked", "g1"); !ok || !revoked {
		t.Errorf("a revoked answer after a revocation: got %v (cached %v), want revoked and cached", revoked, ok)
	}
	c.SetOn(false)
	c.SetOn(true)
	if _, _, ok := c.Get("revoked", "g1"); ok {
		t.Errorf("a revoked answer outlived the cache being off")
	}
}

// TestOffByDefault checks that a cache nobody turned on neither serves
// nor keeps anything: a store that cannot hear about changes yet must go
// to the database.
func TestOffByDefault(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"client", "user", "live answer", "revoked answer"} {
		s := newSubject(kind)
		gen, _ := s.get()
		s.put(gen)
		if _, hit := s.get(); hit {
			t.Errorf("%s: a cache that was never turned on answered", kind)
		}
	}
}

// TestCopies checks that neither the caller that stored a value nor one
// that got it can change what the next caller gets.
func TestCopies(t *testing.T) {
	t.Parallel()
	t.Run("client", func(t *testing.T) {
		t.Parallel()
		var c Clients
		c.SetOn(true)
		in := &gatehouse.Client{ID: "c1", Scopes: []string{"openid"},
			Credentials: []gatehouse.ClientCredential{{ClientID: "cid", SecretHash: []byte{1, 2}}}}
		_, gen, _ := c.Get("cid")
		c.Put("cid", in, gen)
		in.Scopes[0] = "stored"
		in.Credentials[0].SecretHash[0] = 9
		got, _, _ := c.Get("cid")
		got.Scopes[0] = "returned"
		got.Credentials[0].SecretHash[1] = 9
		got.Credentials[0].Name = "returned"
		again, _, ok := c.Get("cid")
		if !ok {
			t.Fatalf("the client is not cached")
		}
		if again.Scopes[0] != "openid" || again.Credentials[0].SecretHash[0] != 1 ||
			again.Credentials[0].SecretHash[1] != 2 || again.Credentials[0].Name != "" {
			t.Errorf("got %+v, want the client as stored", again)
		}
	})
	t.Run("user", func(t *testing.T) {
		t.Parallel()
		var c Users
		c.SetOn(true)
		in := &gatehouse.User{TenantID: "t1", ID: "u1", Roles: []string{"admin"}}
		_, gen, _ := c.Get("t1", "u1")
		c.Put(in, gen)
		in.Roles[0] = "stored"
		got, _, _ := c.Get("t1", "u1")
		got.Roles[0] = "returned"
		again, _, ok := c.Get("t1", "u1")
		if !ok || again.Roles[0] != "admin" {
			t.Errorf("got %+v (cached %v), want the user as stored", again, ok)
		}
	})
}

// TestTouch checks that a touch brings the cached client's credential up
// to date and no other, leaves a copy handed out earlier alone, and
// caches nothing new.
func TestTouch(t *testing.T) {
	t.Parallel()
	var c Clients
	c.SetOn(true)
	_, gen, _ := c.Get("cid")
	c.Put("cid", &gatehouse.Client{ID: "c1",
		Credentials: []gatehouse.ClientCredential{{ClientID: "cid"}, {ClientID: "other"}}}, gen)
	before, _, _ := c.Get("cid")
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c.Touch("cid", at)
	c.Touch("absent", at)
	got, _, ok := c.Get("cid")
	if !ok {
		t.Fatalf("a touch dropped the cached client")
	}
	if !got.Credentials[0].LastUsedAt.Equal(at) || !got.Credentials[1].LastUsedAt.IsZero() {
		t.Errorf("last uses: got %v, %v; want %v, zero", got.Credentials[0].LastUsedAt, got.Credentials[1].LastUsedAt, at)
	}
	if !before.Credentials[0].LastUsedAt.IsZero() {
		t.Errorf("a touch changed a copy handed out before it")
	}
	if _, _, ok := c.Get("absent"); ok {
		t.Errorf("a touch of an uncached client_id cached it")
	}
}

// TestBound checks that a full cache starts over rather than grow.
func TestBound(t *testing.T) {
	t.Parallel()
	var c Clients
	c.SetOn(true)
	for i := range maxClients + 1 {
		id := fmt.Sprint(i)
		_, gen, _ := c.Get(id)
		c.Put(id, &gatehouse.Client{ID: id}, gen)
	}
	if got := len(c.t.entries); got != 1 {
		t.Errorf("entries after %d puts: got %d, want 1", maxClients+1, got)
	}
	if _, _, ok := c.Get("0"); ok {
		t.Errorf("the first client outlived the cache starting over")
	}
	if _, _, ok := c.Get(fmt.Sprint(maxClients)); !ok {
		t.Errorf("the client that started the cache over is not cached")
	}
}

// TestConcurrentLoads runs lookups against a writer that changes the
// "database" and then invalidates, as a store method does before it
// returns. A lookup that starts after an invalidation returned must never
// get a value from before the change it announced, however the loads
// interleave with it. Run it with -race.
func TestConcurrentLoads(t *testing.T) {
	t.Parallel()
	var (
		users Users
		revs  Revocations
		// version is the user's state in the database: FailedSignIns.
		version atomic.Int64
		// announced is the last version whose invalidation returned.
		announced atomic.Int64
		// revoked is the token's state in the database; revokedSeen
		// is set once its revocation was announced.
		revoked, revokedSeen atomic.Bool
		stop                 atomic.Bool
		wg                   sync.WaitGroup
	)
	users.SetOn(true)
	revs.SetOn(true)
	const writes = 2000
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer stop.Store(true)
		for i := range writes {
			v := version.Add(1)
			users.Forget("t1", "u1")
			announced.Store(v)
			if i == writes/2 {
				revoked.Store(true)
				revs.Invalidate()
				revokedSeen.Store(true)
			}
		}
	}()
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				floor := announced.Load()
				u, gen, ok := users.Get("t1", "u1")
				if !ok {
					u = &gatehouse.User{TenantID: "t1", ID: "u1", FailedSignIns: int(version.Load())}
					users.Put(u, gen)
				}
				if int64(u.FailedSignIns) < floor {
					errs <- fmt.Errorf("user at version %d after version %d was announced (cached %v)", u.FailedSignIns, floor, ok)
					return
				}

				mustRevoked := revokedSeen.Load()
				r, rgen, ok := revs.Get("j1", "g1")
				if !ok {
					r = revoked.Load()
					revs.Put("j1", "g1", r, rgen)
				}
				if mustRevoked && !r {
					errs <- fmt.Errorf("a live answer after the revocation was announced (cached %v)", ok)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// BenchmarkHit measures a lookup answered by each cache, the cost every
// token, userinfo and introspection request pays.
func BenchmarkHit(b *testing.B) {
	var (
		clients Clients
		users   Users
		revs    Revocations
	)
	clients.SetOn(true)
	users.SetOn(true)
	revs.SetOn(true)
	_, gen, _ := clients.Get("cid")
	clients.Put("cid", &gatehouse.Client{ID: "c1", RedirectURIs: []string{"https://rp.example/cb"},
		Scopes: []string{"openid", "profile"}, GrantTypes: []string{"authorization_code", "refresh_token"},
		Credentials: []gatehouse.ClientCredential{{ClientID: "cid", SecretHash: make([]byte, 32)}}}, gen)
	_, gen, _ = users.Get("t1", "u1")
	users.Put(&gatehouse.User{TenantID: "t1", ID: "u1", Roles: []string{"admin"}}, gen)
	_, gen, _ = revs.Get("j1", "g1")
	revs.Put("j1", "g1", false, gen)
	b.Run("client", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, ok := clients.Get("cid"); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("user", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, ok := users.Get("t1", "u1"); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("revocation", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, ok := revs.Get("j1", "g1"); !ok {
				b.Fatal("miss")
			}
		}
	})
}
