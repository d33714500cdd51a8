package provider

import (
	"strconv"
	"testing"
	"time"
)

func TestTouchThrottle(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		id   string
		at   time.Duration
		want bool
	}{
		{"first use", "a", 0, true},
		{"again at once", "a", 0, false},
		{"another credential", "b", time.Second, true},
		{"within the minute", "a", 59 * time.Second, false},
		{"a minute later", "a", time.Minute, true},
		{"a clock that went back", "a", 30 * time.Second, true},
	}
	tt := touchThrottle{last: map[string]time.Time{}}
	for _, c := range tests {
		if got := tt.due(c.id, start.Add(c.at)); got != c.want {
			t.Errorf("%s: got %t, want %t", c.name, got, c.want)
		}
	}
}

func TestTouchThrottleBounded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	tt := touchThrottle{last: map[string]time.Time{}}
	for i := range maxTouches + 10 {
		tt.due(strconv.Itoa(i), now)
	}
	if got := len(tt.last); got > maxTouches {
		t.Errorf("entries: got %d, want at most %d", got, maxTouches)
	}
}
