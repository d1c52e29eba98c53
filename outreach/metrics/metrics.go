// Package metrics defines the Prometheus metrics of the outreach daemon. All
// names start with outreach_ and follow Prometheus conventions; label values
// that are known in advance are pre-initialized so dashboards show zeros.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"strconv"

	"github.com/outreach-dev/outreach/outreach"
)

// Metrics holds every collector the daemon updates.
type Metrics struct {
	// JobsReceived counts valid jobs read from the stream (first attempt only), by kind.
	JobsReceived *prometheus.CounterVec
	// Deliveries counts delivery outcomes by channel, kind and status.
	Deliveries *prometheus.CounterVec
	// DeadLetters counts entries moved to the dead-letter stream, by reason.
	DeadLetters *prometheus.CounterVec
	// Retries counts jobs scheduled for another attempt, by kind and reason.
	Retries *prometheus.CounterVec
	// SendFailures counts failed provider calls by channel and reason.
	SendFailures *prometheus.CounterVec
	// Duplicates counts deliveries skipped because the archive already had
	// them as sent (redelivery or a job id enqueued twice), by kind.
	Duplicates *prometheus.CounterVec
	// SendDuration observes provider call latency per channel.
	SendDuration *prometheus.HistogramVec
	// JobLatency observes the time from XADD (the stream id's timestamp) to
	// the job being done (archived and acked), by kind.
	JobLatency *prometheus.HistogramVec
	// ArchiveBatch observes how many deliveries each archive write (one
	// Store.Record call of the recorder's group commit) carried: each
	// write is one statement and one commit, whose cost the deliveries of
	// the batch share.
	ArchiveBatch prometheus.Histogram
	// Deferred counts jobs parked in the delayed set until their send_at.
	Deferred *prometheus.CounterVec
	// RateLimitWait observes how long each message waited for its
	// channel's rate limit (OUTREACH_SMS_RATE), by channel.
	RateLimitWait *prometheus.HistogramVec
	// WebhookRequests counts requests to the provider webhooks and the
	// unsubscribe endpoint, by endpoint and result (ok, forged,
	// bad_request, unknown, error).
	WebhookRequests *prometheus.CounterVec
	// StatusReports counts provider status reports (Twilio callbacks) by
	// channel, reported status and result: applied, or stale (repeated or
	// out of order, so not applied).
	StatusReports *prometheus.CounterVec
	// Replies counts inbound replies by channel and action (none, opt_out, opt_in).
	Replies *prometheus.CounterVec
	// OptOuts counts opt-outs and opt-ins recorded, by channel, source
	// (reply, provider, unsubscribe_link) and direction (out, in).
	OptOuts *prometheus.CounterVec
	// TemplateReloads counts reloads of the template set (SIGHUP), by
	// result: success, or failure (the old set keeps serving).
	TemplateReloads *prometheus.CounterVec
	// TemplateFallbacks counts messages sent in the default variant
	// because the resident's variant could not be rendered, by kind,
	// variant (the one that fell back) and reason (missing_variable).
	TemplateFallbacks *prometheus.CounterVec

	// Queue gauges, refreshed from Redis periodically (see SetQueue):
	// QueueLength, DeadLetterSize and DelayedSize by stream (the job
	// stream's name), QueueLag and QueuePending by stream and group.
	QueueLength    *prometheus.GaugeVec
	QueueLag       *prometheus.GaugeVec
	QueuePending   *prometheus.GaugeVec
	DeadLetterSize *prometheus.GaugeVec
	DelayedSize    *prometheus.GaugeVec
	// ShardLength, ShardLag, ShardPending and ShardDelayed are the same
	// per shard of the queue (OUTREACH_SHARDS, so bounded), by stream and
	// shard ("0" ...); lag and pending also by group.
	ShardLength, ShardLag, ShardPending, ShardDelayed *prometheus.GaugeVec
	// InFlight is the number of jobs being processed by this daemon.
	InFlight prometheus.Gauge

	// Stages count and time each pipeline stage (see stages.go).
	Stages *StageMetrics
	// SMTPPool reports the email channel's connection pool (see pool.go).
	SMTPPool *PoolCollector
	// Campaigns shows campaign progress (see campaigns.go).
	Campaigns *CampaignProgress

	// HTTP counts and times the /v1/ API's requests (see http.go).
	HTTP *HTTPMetrics
	// Estates count deliveries and replies by estate (see estates.go).
	Estates *EstateMetrics

	// Policy, lanes and campaigns (see policy.go).
	PolicyMetrics
	// The satisfaction loop (see survey.go).
	SurveyMetrics
	CaseMetrics
}

// New creates the metrics and registers them with reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{}
	m.addDelivery(reg)
	m.addInbound(reg)
	m.addTemplates(reg)
	m.addQueue(reg)
	m.PolicyMetrics = newPolicyMetrics(reg)
	m.SurveyMetrics = newSurveyMetrics(reg)
	m.CaseMetrics = newCaseMetrics(reg)
	m.Stages = newStageMetrics(reg)
	m.SMTPPool = newPoolCollector()
	poolWait := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "outreach_smtp_pool_wait_seconds",
		Help:    "Time each email waited for a free SMTP connection of the pool.",
		Buckets: []float64{0, .001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	m.SMTPPool.Wait = poolWait
	reg.MustRegister(m.SMTPPool, poolWait)
	m.Campaigns = newCampaignProgress(reg)
	m.HTTP = newHTTPMetrics(reg)
	m.Estates = newEstateMetrics(reg)
	m.preinit()
	return m
}

// addDelivery creates and registers the pipeline's delivery counters and timings.
func (m *Metrics) addDelivery(reg prometheus.Registerer) {
	m.JobsReceived = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_jobs_received_total",
		Help: "Valid jobs read from the stream (first attempt), by kind.",
	}, []string{"kind"})
	m.Deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_deliveries_total",
		Help: "Delivery outcomes by channel, kind and status (sent, failed, retrying).",
	}, []string{"channel", "kind", "status"})
	m.DeadLetters = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_dead_letters_total",
		Help: "Stream entries moved to the dead-letter stream, by reason.",
	}, []string{"reason"})
	m.Retries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_retries_total",
		Help: "Jobs scheduled for another attempt after a temporary failure, by kind and reason.",
	}, []string{"kind", "reason"})
	m.SendFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_send_failures_total",
		Help: "Failed provider calls by channel and reason.",
	}, []string{"channel", "reason"})
	m.Duplicates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_duplicates_skipped_total",
		Help: "Deliveries not sent again because the archive already records them as sent, by kind.",
	}, []string{"kind"})
	m.SendDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "outreach_send_duration_seconds",
		Help:    "Latency of provider calls (SMTP, Twilio) per channel.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"channel"})
	m.JobLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "outreach_job_latency_seconds",
		Help:    "Time from enqueue (XADD) to the job being archived and acked, by kind.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
	}, []string{"kind"})
	m.ArchiveBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "outreach_archive_batch_deliveries",
		Help:    "Deliveries per archive write (one statement and commit of the recorder's group commit).",
		Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500},
	})
	m.Deferred = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_jobs_deferred_total",
		Help: "Jobs parked in the delayed set until their send_at, by kind.",
	}, []string{"kind"})
	m.RateLimitWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "outreach_rate_limit_wait_seconds",
		Help:    "Time each message waited for its channel's rate limit, per channel.",
		Buckets: []float64{0, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"channel"})
	m.InFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "outreach_jobs_in_flight",
		Help: "Jobs being processed by this daemon.",
	})
	reg.MustRegister(m.JobsReceived, m.Deliveries, m.DeadLetters, m.Retries, m.SendFailures, m.Duplicates, m.SendDuration, m.JobLatency, m.ArchiveBatch, m.Deferred, m.RateLimitWait, m.InFlight)
}

// addInbound creates and registers what providers and residents send back: webhook requests, status reports, replies, opt-outs.
func (m *Metrics) addInbound(reg prometheus.Registerer) {
	m.WebhookRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_webhook_requests_total",
		Help: "Requests to the provider webhooks and the unsubscribe endpoint, by endpoint and result.",
	}, []string{"endpoint", "result"})
	m.StatusReports = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_status_reports_total",
		Help: "Provider status reports on sent messages, by channel, status and result (applied or stale).",
	}, []string{"channel", "status", "result"})
	m.Replies = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_replies_total",
		Help: "Inbound replies archived, by channel and action (none, opt_out, opt_in).",
	}, []string{"channel", "action"})
	m.OptOuts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_opt_outs_total",
		Help: "Opt-outs and opt-ins recorded, by channel, source and direction (out or in).",
	}, []string{"channel", "source", "direction"})
	reg.MustRegister(m.WebhookRequests, m.StatusReports, m.Replies, m.OptOuts)
}

// addTemplates creates and registers the template set's reloads and fallbacks.
func (m *Metrics) addTemplates(reg prometheus.Registerer) {
	m.TemplateReloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_template_reloads_total",
		Help: "Reloads of the template set (SIGHUP), by result: success, or failure (the old set keeps serving).",
	}, []string{"result"})
	m.TemplateFallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outreach_template_fallbacks_total",
		Help: "Messages sent in the default variant because the resident's variant lacked a variable, by kind, variant and reason.",
	}, []string{"kind", "variant", "reason"})
	reg.MustRegister(m.TemplateReloads, m.TemplateFallbacks)
}

// addQueue creates and registers the queue gauges, the whole queue's and each shard's.
func (m *Metrics) addQueue(reg prometheus.Registerer) {
	m.QueueLength = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outreach_queue_length",
		Help: "Entries in the job stream's lanes (XLEN), by stream.",
	}, []string{"stream"})
	m.QueueLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outreach_queue_lag",
		Help: "Entries in the job stream's lanes not yet read by the consumer group, by stream and group.",
	}, []string{"stream", "group"})
	m.QueuePending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outreach_queue_pending",
		Help: "Entries read by the consumer group but not yet acknowledged, by stream and group.",
	}, []string{"stream", "group"})
	m.DeadLetterSize = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outreach_dead_letter_stream_length",
		Help: "Entries in the dead-letter stream, by job stream.",
	}, []string{"stream"})
	m.DelayedSize = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outreach_delayed_jobs",
		Help: "Jobs waiting in the delayed set (retries, future send_at, quiet hours, follow-ups), by job stream.",
	}, []string{"stream"})
	m.ShardLength = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outreach_shard_length",
		Help: "Entries in the lanes of one shard of the queue (OUTREACH_SHARDS), by stream and shard.",
	}, []string{"stream", "shard"})
	m.ShardLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outreach_shard_lag",
		Help: "Entries in the lanes of one shard not yet read by the consumer group, by stream, group and shard.",
	}, []string{"stream", "group", "shard"})
	m.ShardPending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outreach_shard_pending",
		Help: "Entries of one shard read by the consumer group but not yet acknowledged, by stream, group and shard.",
	}, []string{"stream", "group", "shard"})
	m.ShardDelayed = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outreach_shard_delayed_jobs",
		Help: "Jobs waiting in the delayed set of one shard, by stream and shard.",
	}, []string{"stream", "shard"})
	reg.MustRegister(m.QueueLength, m.QueueLag, m.QueuePending, m.DeadLetterSize, m.DelayedSize, m.ShardLength, m.ShardLag, m.ShardPending, m.ShardDelayed)
}

// preinit creates the label combinations known in advance, so that a
// dashboard shows 0 rather than "no data" before the first event.
func (m *Metrics) preinit() {
	for _, k := range outreach.Kinds {
		m.JobsReceived.WithLabelValues(string(k))
		m.Duplicates.WithLabelValues(string(k))
		m.JobLatency.WithLabelValues(string(k))
		for _, c := range outreach.AllChannels {
			for _, s := range outreach.Statuses {
				m.Deliveries.WithLabelValues(string(c), string(k), string(s))
			}
		}
	}
	for _, r := range outreach.Reasons {
		m.DeadLetters.WithLabelValues(string(r))
	}
	for _, c := range outreach.AllChannels {
		m.SendDuration.WithLabelValues(string(c))
	}
	m.RateLimitWait.WithLabelValues(string(outreach.ChannelSMS))
	for _, s := range []outreach.Status{outreach.StatusSent, outreach.StatusDelivered, outreach.StatusUndelivered, outreach.StatusFailed} {
		m.StatusReports.WithLabelValues(string(outreach.ChannelSMS), string(s), "applied")
	}
	for _, a := range []string{"none", "opt_out", "opt_in"} {
		m.Replies.WithLabelValues(string(outreach.ChannelSMS), a)
	}
	for _, ep := range []string{"twilio_status", "twilio_inbound", "unsubscribe"} {
		for _, r := range []string{"ok", "forged", "bad_request"} {
			m.WebhookRequests.WithLabelValues(ep, r)
		}
	}
	for _, r := range []string{ReloadSuccess, ReloadFailure} {
		m.TemplateReloads.WithLabelValues(r)
	}
	for _, k := range outreach.Kinds {
		for _, v := range FallbackVariants {
			m.TemplateFallbacks.WithLabelValues(string(k), v, FallbackMissingVariable)
		}
	}
}

// FallbackVariants are the variant label values of
// outreach_template_fallbacks_total known in advance (the built-in set's;
// the templates package chooses them), and FallbackMissingVariable its
// reason.
var FallbackVariants = []string{"elderly", "new_resident"}

// FallbackMissingVariable is the reason label of a variant that lacked a
// variable (templates.FallbackMissingVariable).
const FallbackMissingVariable = "missing_variable"

// The result label values of outreach_template_reloads_total.
const (
	ReloadSuccess = "success"
	ReloadFailure = "failure"
)

// Queue is a snapshot of the job stream for SetQueue: the sums over the
// lanes, the dead-letter and delayed sizes, and each lane's gauges.
type Queue struct {
	Stream, Group                       string // the job stream's name and the consumer group
	Length, Lag, Pending, Dead, Delayed int64
	Lanes                               []Lane
	Shards                              []Shard // shard i at index i
}

// Shard is one shard's gauges, its lanes added up.
type Shard struct {
	Length, Lag, Pending, Delayed int64
}

// Lane is one priority lane's gauges.
type Lane struct {
	Name                 string // urgent, normal or bulk
	Length, Lag, Pending int64
}

// SetQueue sets the queue and lane gauges from q.
func (m *Metrics) SetQueue(q Queue) {
	m.QueueLength.WithLabelValues(q.Stream).Set(float64(q.Length))
	m.QueueLag.WithLabelValues(q.Stream, q.Group).Set(float64(q.Lag))
	m.QueuePending.WithLabelValues(q.Stream, q.Group).Set(float64(q.Pending))
	m.DeadLetterSize.WithLabelValues(q.Stream).Set(float64(q.Dead))
	m.DelayedSize.WithLabelValues(q.Stream).Set(float64(q.Delayed))
	for _, l := range q.Lanes {
		m.LaneLength.WithLabelValues(q.Stream, l.Name).Set(float64(l.Length))
		m.LaneLag.WithLabelValues(q.Stream, q.Group, l.Name).Set(float64(l.Lag))
		m.LanePending.WithLabelValues(q.Stream, q.Group, l.Name).Set(float64(l.Pending))
	}
	for i, sh := range q.Shards {
		n := strconv.Itoa(i)
		m.ShardLength.WithLabelValues(q.Stream, n).Set(float64(sh.Length))
		m.ShardLag.WithLabelValues(q.Stream, q.Group, n).Set(float64(sh.Lag))
		m.ShardPending.WithLabelValues(q.Stream, q.Group, n).Set(float64(sh.Pending))
		m.ShardDelayed.WithLabelValues(q.Stream, n).Set(float64(sh.Delayed))
	}
}
