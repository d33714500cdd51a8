package server

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestAllowedMethods(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	nop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	mux.Handle("GET /things/{id}", nop)
	mux.Handle("POST /things/{id}", nop)
	mux.Handle("DELETE /things/{id}/parts", nop)
	tests := []struct {
		path string
		want []string
	}{
		{"/things/1", []string{http.MethodGet, http.MethodHead, http.MethodPost}},
		{"/things/1/parts", []string{http.MethodDelete}},
		{"/things/%2F", nil}, // a variable never matches a lone "/"
		{"/nothing", nil},
	}
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPatch, tt.path, nil)
		if got := AllowedMethods(mux, r, methods...); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.path, got, tt.want)
		}
	}
}
