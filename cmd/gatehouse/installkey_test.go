package main

import (
	"strings"
	"testing"
)

type installKeyOut struct {
	ID        string  `json:"id"`
	TenantID  string  `json:"tenant_id"`
	Key       string  `json:"key"`
	RevokedAt *string `json:"revoked_at"`
}

func TestInstallKeyCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var acme, other struct{ ID string }
	e.okJSON(&acme, "", "tenant", "create", "--slug", "acme", "--name", "Acme")
	e.okJSON(&other, "", "tenant", "create", "--slug", "other", "--name", "Other")

	var first installKeyOut
	e.okJSON(&first, "", "installkey", "create", "--tenant", "acme")
	if !strings.HasPrefix(first.Key, "gth_pk_") || first.ID == "" || first.TenantID != acme.ID || first.RevokedAt != nil {
		t.Fatalf("created: %+v", first)
	}
	text := e.ok("", "installkey", "create", "--tenant", acme.ID)
	if !strings.Contains(text, "key: gth_pk_") || !strings.Contains(text, "/api/v1/install/gth_pk_") {
		t.Errorf("create prints:\n%s\nwant the key and the settings URL", text)
	}
	var foreign installKeyOut
	e.okJSON(&foreign, "", "installkey", "create", "--tenant", "other")

	var list []installKeyOut
	e.okJSON(&list, "", "installkey", "list", "--tenant", "acme")
	if len(list) != 2 || list[0].ID != first.ID {
		t.Fatalf("list: %+v, want 2 keys, the first created first", list)
	}
	if out := e.ok("", "installkey", "list", "--tenant", "acme"); !strings.Contains(out, first.Key) || strings.Contains(out, foreign.Key) {
		t.Errorf("list table:\n%s\nwant this tenant's keys only", out)
	}

	var rotated installKeyOut
	e.okJSON(&rotated, "", "installkey", "rotate", "--tenant", "acme", first.ID)
	if rotated.ID == first.ID || rotated.Key == first.Key || !strings.HasPrefix(rotated.Key, "gth_pk_") {
		t.Errorf("rotated: %+v, want a new key", rotated)
	}
	e.okJSON(&list, "", "installkey", "list", "--tenant", "acme")
	if len(list) != 3 || list[0].RevokedAt == nil || list[2].ID != rotated.ID || list[2].RevokedAt != nil {
		t.Errorf("after rotation: %+v, want the old key revoked and the new one last", list)
	}

	var revoked struct{ ID, Status string }
	e.okJSON(&revoked, "", "installkey", "revoke", "--tenant", "acme", rotated.ID)
	if revoked.ID != rotated.ID || revoked.Status != "revoked" {
		t.Errorf("revoke: %+v", revoked)
	}

	failures := []struct {
		name string
		args []string
		want string
	}{
		{"no tenant", []string{"installkey", "create"}, "--tenant is required"},
		{"unknown tenant", []string{"installkey", "list", "--tenant", "nope"}, "not found"},
		{"rotate without an id", []string{"installkey", "rotate", "--tenant", "acme"}, "missing argument"},
		{"rotate a revoked key", []string{"installkey", "rotate", "--tenant", "acme", first.ID}, "already revoked"},
		{"rotate another tenant's key", []string{"installkey", "rotate", "--tenant", "acme", foreign.ID}, "not found"},
		{"revoke another tenant's key", []string{"installkey", "revoke", "--tenant", "acme", foreign.ID}, "not found"},
		{"revoke two keys at once", []string{"installkey", "revoke", "--tenant", "acme", first.ID, rotated.ID}, "unexpected argument"},
		{"create with an argument", []string{"installkey", "create", "--tenant", "acme", "extra"}, "unexpected argument"},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			before := e.count("install_keys")
			r := e.run("", tt.args...)
			if r.code == 0 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want a failure naming %q", r.code, r.stderr, tt.want)
			}
			if after := e.count("install_keys"); after != before {
				t.Errorf("install keys: %d before, %d after a refused command", before, after)
			}
		})
	}
	var otherList []installKeyOut
	e.okJSON(&otherList, "", "installkey", "list", "--tenant", "other")
	if len(otherList) != 1 || otherList[0].RevokedAt != nil {
		t.Errorf("the other tenant's keys after the refusals: %+v, want its one key untouched", otherList)
	}

	var events []struct{ Action, Actor, Target string }
	e.okJSON(&events, "", "audit", "list", "--tenant", "acme")
	var got []string
	for _, ev := range events {
		if strings.HasPrefix(ev.Action, "installkey.") {
			got = append(got, ev.Action)
			if ev.Actor != "cli" {
				t.Errorf("%s actor: got %q, want cli", ev.Action, ev.Actor)
			}
		}
	}
	if want := "installkey.create installkey.create installkey.rotate installkey.revoke"; strings.Join(got, " ") != want {
		t.Errorf("audit: got %q, want %q", strings.Join(got, " "), want)
	}
	if r := e.run("", "help"); !strings.Contains(r.stdout, "installkey rotate") {
		t.Errorf("help does not list installkey rotate:\n%s", r.stdout)
	}
}
