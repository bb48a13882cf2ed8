// Package metrics exposes the engine's Prometheus metrics at /metrics:
// triggers by status, deliveries by channel, provider and status, queue depth,
// trigger and delivery latency, and connected realtime clients.
//
// Everything is registered on the engine's own registry (never the global
// default one), so several engines in one process (tests) do not collide.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the engine's collectors. Its methods are safe for
// concurrent use; a nil *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry

	triggers       *prometheus.CounterVec
	triggerLatency *prometheus.HistogramVec
	// byStatus holds pre-resolved children for the statuses a trigger
	// commonly ends with, so the hot path does no label lookup. It is built
	// once in New and only read afterwards.
	byStatus map[int]triggerChildren

	deliveries      *prometheus.CounterVec
	deliveryLatency *prometheus.HistogramVec
}

type triggerChildren struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// commonStatuses are the answers the trigger route gives in practice.
var commonStatuses = []int{200, 400, 401, 404, 409, 413, 422, 429, 500, 503}

// New returns Metrics with Go runtime and process collectors registered.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		reg: reg,
		triggers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orqestra_triggers_total",
			Help: "Trigger requests (POST /api/v1/events/trigger) by HTTP status.",
		}, []string{"status"}),
		triggerLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "orqestra_trigger_duration_seconds",
			Help: "Time from a trigger request's arrival to its answer (committed for 200s), by HTTP status.",
			// Group commit answers in about a millisecond; the tail matters.
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"status"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orqestra_deliveries_total",
			Help: "EMAIL and SMS delivery attempts by channel, provider and outcome (sent, retrying, failed).",
		}, []string{"channel", "provider", "status"}),
		deliveryLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "orqestra_delivery_duration_seconds",
			Help:    "Time from a trigger's commit to its delivery being sent, by channel.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800},
		}, []string{"channel"}),
		byStatus: make(map[int]triggerChildren, len(commonStatuses)),
	}
	reg.MustRegister(m.triggers, m.triggerLatency, m.deliveries, m.deliveryLatency)
	for _, code := range commonStatuses {
		s := strconv.Itoa(code)
		m.byStatus[code] = triggerChildren{count: m.triggers.WithLabelValues(s), latency: m.triggerLatency.WithLabelValues(s)}
	}
	return m
}

// ObserveTrigger records one answered trigger.
func (m *Metrics) ObserveTrigger(status int, d time.Duration) {
	if m == nil {
		return
	}
	c, ok := m.byStatus[status]
	if !ok {
		s := strconv.Itoa(status)
		c = triggerChildren{count: m.triggers.WithLabelValues(s), latency: m.triggerLatency.WithLabelValues(s)}
	}
	c.count.Inc()
	c.latency.Observe(d.Seconds())
}

// ObserveDelivery records one delivery attempt's outcome. sinceCommit is the
// time from the event's commit to this outcome; it feeds the latency
// histogram only for sent deliveries.
func (m *Metrics) ObserveDelivery(channel, provider, status string, sinceCommit time.Duration) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(channel, provider, status).Inc()
	if status == "sent" {
		m.deliveryLatency.WithLabelValues(channel).Observe(sinceCommit.Seconds())
	}
}

// Gauge registers a gauge whose value is read from f at each scrape.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// QueueDepth registers orqestra_queue_depth, read with count at each scrape
// within a short timeout (a slow database shows as -1, not a hung scrape).
func (m *Metrics) QueueDepth(count func(ctx context.Context) (int, error)) {
	m.Gauge("orqestra_queue_depth", "Delivery jobs waiting to run (available, scheduled or retryable).", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := count(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
}

// Registry is the registry the metrics are on, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{MaxRequestsInFlight: 4, Timeout: 10 * time.Second})
}
