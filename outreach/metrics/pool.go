package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// PoolStats is a snapshot of a connection pool.
type PoolStats struct {
	Size  int // connections the pool may hold (OUTREACH_SMTP_CONNS)
	InUse int // connections taken by a message being sent
	Open  int // connections currently established with the server
	// Chained counts the messages whose envelope went in the write of the
	// message before them on a connection (pipelining across messages).
	Chained uint64
}

// PoolCollector reports the SMTP connection pool: outreach_smtp_pool_size,
// outreach_smtp_connections_in_use, outreach_smtp_connections_open and
// outreach_smtp_chained_messages_total, read from the pool at every
// scrape. Until Watch is called (no email channel, or dev mode's outbox)
// it reports nothing.
type PoolCollector struct {
	size, inUse, open, chained *prometheus.Desc
	stats                      atomic.Pointer[func() PoolStats]
	// Wait observes how long each message waited for a free connection.
	Wait prometheus.Observer
}

func newPoolCollector() *PoolCollector {
	return &PoolCollector{
		size:  prometheus.NewDesc("outreach_smtp_pool_size", "SMTP connections the pool may hold (OUTREACH_SMTP_CONNS).", nil, nil),
		inUse: prometheus.NewDesc("outreach_smtp_connections_in_use", "SMTP connections taken by a message being sent.", nil, nil),
		open:  prometheus.NewDesc("outreach_smtp_connections_open", "SMTP connections currently established with the server.", nil, nil),
		chained: prometheus.NewDesc("outreach_smtp_chained_messages_total",
			"Emails whose envelope went in the same write as the message before them on an SMTP connection (pipelining across messages, when the pool is busy).", nil, nil),
	}
}

// Watch makes the collector report what stats returns.
func (p *PoolCollector) Watch(stats func() PoolStats) { p.stats.Store(&stats) }

// Describe implements prometheus.Collector.
func (p *PoolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- p.size
	ch <- p.inUse
	ch <- p.open
	ch <- p.chained
}

// Collect implements prometheus.Collector.
func (p *PoolCollector) Collect(ch chan<- prometheus.Metric) {
	f := p.stats.Load()
	if f == nil {
		return
	}
	s := (*f)()
	ch <- prometheus.MustNewConstMetric(p.size, prometheus.GaugeValue, float64(s.Size))
	ch <- prometheus.MustNewConstMetric(p.inUse, prometheus.GaugeValue, float64(s.InUse))
	ch <- prometheus.MustNewConstMetric(p.open, prometheus.GaugeValue, float64(s.Open))
	ch <- prometheus.MustNewConstMetric(p.chained, prometheus.CounterValue, float64(s.Chained))
}
