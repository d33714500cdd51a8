package audit

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

func sampleEvent() *gatehouse.AuditEvent {
	return &gatehouse.AuditEvent{
		TenantID:  "0196f0a4-7c1e-7d2a-9b3c-4d5e6f708192",
		Seq:       7,
		ID:        "0196f0a4-7c1e-7d2a-9b3c-aabbccddeeff",
		Time:      time.Date(2026, 11, 22, 12, 30, 45, 123456000, time.UTC),
		Actor:     "user:42",
		Action:    "client.create",
		Target:    "client:abc",
		Result:    gatehouse.ResultSuccess,
		IP:        "192.0.2.7",
		UserAgent: "curl/8.0",
		Details:   map[string]string{"client_id": "abc", "reason": "new app"},
		PrevHash:  bytes.Repeat([]byte{0xaa}, 32),
	}
}

var testKey = bytes.Repeat([]byte{0x42}, 32)

// TestChainHashVector pins the encoding: existing chains stop verifying if
// it changes, so a change must be a new format, not an edit.
func TestChainHashVector(t *testing.T) {
	t.Parallel()
	got := hex.EncodeToString(chainHash(testKey, sampleEvent()))
	const want = "dd6d727a815a6e79998f3e6671ef154f08a022602158807035a7e3ff5dbb6bcd" // computed independently from the documented encoding
	if got != want {
		t.Errorf("chainHash(sample) = %s, want %s", got, want)
	}
}

func TestChainHashCoversEveryField(t *testing.T) {
	t.Parallel()
	base := chainHash(testKey, sampleEvent())
	tests := []struct {
		name   string
		change func(ev *gatehouse.AuditEvent)
	}{
		{"tenant", func(ev *gatehouse.AuditEvent) { ev.TenantID = "" }},
		{"seq", func(ev *gatehouse.AuditEvent) { ev.Seq = 8 }},
		{"id", func(ev *gatehouse.AuditEvent) { ev.ID = "0196f0a4-7c1e-7d2a-9b3c-aabbccddeef0" }},
		{"time by a microsecond", func(ev *gatehouse.AuditEvent) { ev.Time = ev.Time.Add(time.Microsecond) }},
		{"actor", func(ev *gatehouse.AuditEvent) { ev.Actor = "user:43" }},
		{"action", func(ev *gatehouse.AuditEvent) { ev.Action = "client.delete" }},
		{"target", func(ev *gatehouse.AuditEvent) { ev.Target = "client:abd" }},
		{"result", func(ev *gatehouse.AuditEvent) { ev.Result = gatehouse.ResultFailure }},
		{"ip", func(ev *gatehouse.AuditEvent) { ev.IP = "192.0.2.8" }},
		{"user agent", func(ev *gatehouse.AuditEvent) { ev.UserAgent = "curl/8.1" }},
		{"detail value", func(ev *gatehouse.AuditEvent) { ev.Details["reason"] = "old app" }},
		{"detail added", func(ev *gatehouse.AuditEvent) { ev.Details["x"] = "" }},
		{"detail removed", func(ev *gatehouse.AuditEvent) { delete(ev.Details, "reason") }},
		{"detail renamed", func(ev *gatehouse.AuditEvent) {
			ev.Details["Reason"] = ev.Details["reason"]
			delete(ev.Details, "reason")
		}},
		{"prev hash", func(ev *gatehouse.AuditEvent) { ev.PrevHash[31] ^= 1 }},
		{"no prev hash", func(ev *gatehouse.AuditEvent) { ev.PrevHash = nil }},
		// Length prefixes keep neighbouring fields apart.
		{"boundary between actor and action", func(ev *gatehouse.AuditEvent) { ev.Actor, ev.Action = "user:42c", "lient.create" }},
		{"boundary between ip and user agent", func(ev *gatehouse.AuditEvent) { ev.IP, ev.UserAgent = "192.0.2.7c", "url/8.0" }},
		{"boundary between detail name and value", func(ev *gatehouse.AuditEvent) {
			ev.Details = map[string]string{"client_ida": "bc", "reason": "new app"}
		}},
		{"detail moved into a field", func(ev *gatehouse.AuditEvent) {
			delete(ev.Details, "reason")
			ev.Target = "client:abcreasonnew app"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := sampleEvent()
			tt.change(ev)
			if got := chainHash(testKey, ev); bytes.Equal(got, base) {
				t.Errorf("hash unchanged after changing %s", tt.name)
			}
		})
	}
}

func TestChainHashStable(t *testing.T) {
	t.Parallel()
	base := chainHash(testKey, sampleEvent())
	tests := []struct {
		name   string
		change func(ev *gatehouse.AuditEvent)
	}{
		{"same instant in another zone", func(ev *gatehouse.AuditEvent) { ev.Time = ev.Time.In(time.FixedZone("X", 5*3600)) }},
		{"details built in another order", func(ev *gatehouse.AuditEvent) {
			ev.Details = map[string]string{}
			ev.Details["reason"] = "new app"
			ev.Details["client_id"] = "abc"
		}},
		{"stored hash ignored", func(ev *gatehouse.AuditEvent) { ev.Hash = []byte("anything") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := sampleEvent()
			tt.change(ev)
			if got := chainHash(testKey, ev); !bytes.Equal(got, base) {
				t.Errorf("hash changed after %s", tt.name)
			}
		})
	}
	nilDetails, emptyDetails := sampleEvent(), sampleEvent()
	nilDetails.Details, emptyDetails.Details = nil, map[string]string{}
	if !bytes.Equal(chainHash(testKey, nilDetails), chainHash(testKey, emptyDetails)) {
		t.Error("nil and empty details hash differently; a store may return either")
	}
	if bytes.Equal(chainHash(testKey, sampleEvent()), chainHash(bytes.Repeat([]byte{0x43}, 32), sampleEvent())) {
		t.Error("two keys give the same hash")
	}
}
