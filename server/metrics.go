package server

import (
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
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
	// unmatched are the metrics of requests no route matched.
	unmatched *routeMetrics
}

// routeMetrics are the series of one route, each looked up by its labels
// once, at its first use, rather than on every request; a series appears
// in /metrics only once it has counted something.
type routeMetrics struct {
	m     *metrics
	route string
	// duration is the route's histogram; requests hold a counter per
	// status class: index 1 to 5 for 1xx to 5xx, 0 for anything else.
	duration atomic.Pointer[observerBox]
	requests [6]atomic.Pointer[counterBox]
}

type observerBox struct{ prometheus.Observer }

type counterBox struct{ prometheus.Counter }

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
	m.unmatched = m.forRoute(unmatchedRoute)
	return m, nil
}

// forRoute returns the series of a route pattern.
func (m *metrics) forRoute(route string) *routeMetrics {
	if route == "" {
		route = unmatchedRoute
	}
	return &routeMetrics{m: m, route: route}
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

func (rm *routeMetrics) observe(status int, elapsed time.Duration) {
	class := statusClass(status)
	c := rm.requests[class].Load()
	if c == nil {
		// Two first uses at once find the same series: either box does.
		c = &counterBox{rm.m.requests.WithLabelValues(rm.route, classLabel(class))}
		rm.requests[class].Store(c)
	}
	c.Inc()
	d := rm.duration.Load()
	if d == nil {
		d = &observerBox{rm.m.duration.WithLabelValues(rm.route)}
		rm.duration.Store(d)
	}
	d.Observe(elapsed.Seconds())
}

// statusClass returns the index of a status's class in
// routeMetrics.requests: 2 for 204, 0 outside 100-599.
func statusClass(status int) int {
	if status < 100 || status > 599 {
		return 0
	}
	return status / 100
}

// classLabel is the label of a class index: "2xx" for 2, "other" for 0.
func classLabel(i int) string {
	if i == 0 {
		return "other"
	}
	return strconv.Itoa(i) + "xx"
}
