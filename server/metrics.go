package server

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the HTTP metrics. Labels are the route pattern, which the
// code fixes, and the status class: never a tenant, client or raw path,
// so their number stays bounded.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	panics   prometheus.Counter
}

// unmatchedRoute labels requests that no pattern matched (404, 405, or
// refused before routing).
const unmatchedRoute = "unmatched"

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	var errs []error
	m := &metrics{
		requests: register(reg, &errs, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests served, by route pattern and status class.",
		}, []string{"route", "code"})),
		duration: register(reg, &errs, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "gatehouse", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"})),
		inFlight: register(reg, &errs, prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "gatehouse", Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served.",
		})),
		panics: register(reg, &errs, prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "gatehouse", Subsystem: "http", Name: "panics_total",
			Help: "Handler panics recovered; each one is a bug.",
		})),
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return m, nil
}

// register adds c to reg, or returns the identical collector already
// there, so that several servers may share one registry.
func register[C prometheus.Collector](reg prometheus.Registerer, errs *[]error, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		*errs = append(*errs, err)
	}
	return c
}

func (m *metrics) observe(route string, status int, elapsed time.Duration) {
	if route == "" {
		route = unmatchedRoute
	}
	m.requests.WithLabelValues(route, statusClass(status)).Inc()
	m.duration.WithLabelValues(route).Observe(elapsed.Seconds())
}

// statusClass returns "2xx" for 204 and so on.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}
