package provider

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-id/gatehouse"
)

// TestDiscoveryDocumentCached checks that a document is encoded once per
// issuer and then served as the same bytes.
func TestDiscoveryDocumentCached(t *testing.T) {
	t.Parallel()
	p := New(Options{})
	tests := []struct{ name, issuer string }{
		{"platform", "https://login.example.com"},
		{"tenant", "https://login.example.com/t/acme"},
	}
	for _, tt := range tests {
		first, err := p.discoveryDocument(tt.issuer)
		if err != nil {
			t.Fatal(err)
		}
		second, err := p.discoveryDocument(tt.issuer)
		if err != nil {
			t.Fatal(err)
		}
		if &first[0] != &second[0] {
			t.Errorf("%s: the document was encoded again on the second request", tt.name)
		}
	}
	if got := len(p.discovery.docs); got != len(tests) {
		t.Errorf("cached documents: got %d, want %d", got, len(tests))
	}
}

func BenchmarkDiscovery(b *testing.B) {
	p := New(Options{})
	req := httptest.NewRequest(http.MethodGet, pathOpenIDConfiguration, nil)
	req = req.WithContext(gatehouse.WithIssuer(req.Context(), gatehouse.Issuer{URL: "https://login.example.com"}))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		p.serveDiscovery(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
