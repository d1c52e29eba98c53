package metrics

import "github.com/prometheus/client_golang/prometheus"

// Archive are the metrics of the communication archive's upkeep.
type Archive struct {
	// Purged counts deliveries whose rendered content retention emptied
	// (OUTREACH_RETAIN_CONTENT).
	Purged prometheus.Counter
}

// NewArchive creates the archive metrics and registers them with reg.
func NewArchive(reg prometheus.Registerer) *Archive {
	a := &Archive{
		Purged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "outreach_archive_purged_total",
			Help: "Deliveries whose rendered subject and body were purged by content retention (OUTREACH_RETAIN_CONTENT).",
		}),
	}
	reg.MustRegister(a.Purged)
	return a
}
