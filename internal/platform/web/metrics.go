package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics owns the process's Prometheus registry, with the Go runtime and
// process collectors and the HTTP metrics Wrap records:
// vngov_http_requests_total{component,route,method,status},
// vngov_http_request_duration_seconds{component,route,method} and
// vngov_http_requests_in_flight{component}. One Metrics serves every
// component of the process; the component label tells them apart.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight *prometheus.GaugeVec
}

// NewMetrics returns a Metrics with a fresh registry.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vngov_http_requests_total",
			Help: "HTTP requests answered, by component, route pattern, method and status.",
		}, []string{"component", "route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vngov_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by component, route pattern and method.",
			Buckets: []float64{0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"component", "route", "method"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vngov_http_requests_in_flight",
			Help: "HTTP requests being answered, by component.",
		}, []string{"component"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.inFlight,
	)
	return m
}

// Registry returns the registry, for components to register their own
// metrics (named vngov_<component>_...).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

func (m *Metrics) begin(component string) {
	m.inFlight.WithLabelValues(component).Inc()
}

func (m *Metrics) observe(component, route, method string, status int, d time.Duration) {
	method = metricMethod(method)
	m.inFlight.WithLabelValues(component).Dec()
	m.requests.WithLabelValues(component, route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(component, route, method).Observe(d.Seconds())
}

// metricMethod folds methods outside the standard set into "OTHER": the
// method is chosen by the client and must not grow the label space.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
