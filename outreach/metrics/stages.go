package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Stage is one stage of the pipeline, as outreach_stage_total and
// outreach_stage_duration_seconds label it.
type Stage int

// The stages, in the order a job goes through them.
const (
	StageDecode   Stage = iota // stream entry -> valid job
	StageDedupe                // the archive's earlier outcomes of the job id
	StageAudience              // the resident(s) the job goes to
	StagePolicy                // consent, quiet hours, caps (per resident)
	StageRoute                 // the usable channels (per resident)
	StageRender                // template -> message (per channel)
	StageSend                  // provider call (per channel)
	StageRecord                // archive write (per job)
	StageAck                   // XACK (per entry, in batches)
	numStages
)

var stageNames = [numStages]string{"decode", "dedupe", "audience", "policy", "route", "render", "send", "record", "ack"}

// String is the stage's label value.
func (s Stage) String() string {
	if s < 0 || s >= numStages {
		return "unknown"
	}
	return stageNames[s]
}

// The result label values of outreach_stage_total.
const (
	ResultOK    = "ok"
	ResultError = "error"
)

// StageMetrics count each stage's throughput and errors and observe its
// duration. The label combinations are resolved once, so Done allocates
// nothing and takes no lock beyond the collectors' atomics.
type StageMetrics struct {
	// Total counts stage runs by stage and result (ok, error).
	Total *prometheus.CounterVec
	// Duration observes how long each stage took.
	Duration *prometheus.HistogramVec

	ok, failed [numStages]prometheus.Counter
	took       [numStages]prometheus.Observer
}

func newStageMetrics(reg prometheus.Registerer) *StageMetrics {
	s := &StageMetrics{
		Total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_stage_total",
			Help: "Pipeline stage runs by stage (decode, dedupe, audience, policy, route, render, send, record, ack) and result (ok, error).",
		}, []string{"stage", "result"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "outreach_stage_duration_seconds",
			Help:    "Time spent in each pipeline stage (policy and route include their Redis calls).",
			Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5, 30},
		}, []string{"stage"}),
	}
	reg.MustRegister(s.Total, s.Duration)
	for st := range numStages {
		name := st.String()
		s.ok[st] = s.Total.WithLabelValues(name, ResultOK)
		s.failed[st] = s.Total.WithLabelValues(name, ResultError)
		s.took[st] = s.Duration.WithLabelValues(name)
	}
	return s
}

// Done counts one run of stage st that began at start, failed when err is
// not nil. A zero start counts the run without observing a duration.
func (s *StageMetrics) Done(st Stage, start time.Time, err error) {
	if st < 0 || st >= numStages {
		return
	}
	if err != nil {
		s.failed[st].Inc()
	} else {
		s.ok[st].Inc()
	}
	if !start.IsZero() {
		s.took[st].Observe(time.Since(start).Seconds())
	}
}

// DoneN counts n runs of stage st with the same result and observes their
// common duration once per run (batched stages: record, ack).
func (s *StageMetrics) DoneN(st Stage, n int, took time.Duration, err error) {
	if st < 0 || st >= numStages || n <= 0 {
		return
	}
	c := s.ok[st]
	if err != nil {
		c = s.failed[st]
	}
	c.Add(float64(n))
	for range n {
		s.took[st].Observe(took.Seconds())
	}
}
