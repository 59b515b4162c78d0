package exchange

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// gatewayMetrics are the exchange's Prometheus series: per gateway, side,
// client and service, the request count by status and error type, and the
// latency. Clients and services come from the registry, so the label set
// stays bounded.
type gatewayMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newGatewayMetrics(reg *prometheus.Registry) *gatewayMetrics {
	m := &gatewayMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vngov_exchange_requests_total", Help: "Requests through the exchange by gateway, side, client, service, status and X-Road error type."},
			[]string{"gateway", "side", "client", "service", "status", "error"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "vngov_exchange_request_duration_seconds", Help: "Time from receiving a request to finishing its answer.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"gateway", "side", "client", "service"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.latency)
	}
	return m
}

func (m *gatewayMetrics) observe(gateway, side, client, service string, status int, errType string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(gateway, side, client, service, strconv.Itoa(status), errType).Inc()
	m.latency.WithLabelValues(gateway, side, client, service).Observe(d.Seconds())
}
