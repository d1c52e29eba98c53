package dispatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/logging"
	"github.com/outreach-dev/outreach/outreach/metrics"
)

// TestTraceBelowLevelAllocatesNothing: at info level a stage costs its
// counters and no allocation, however many ids it names.
func TestTraceBelowLevelAllocatesNothing(t *testing.T) {
	var buf bytes.Buffer
	d := &Dispatcher{metrics: metrics.New(prometheus.NewRegistry()), logger: logging.New(&buf, logging.FormatJSON, slog.LevelInfo)}
	id := ids{job: "wo-1042", entry: "1764454881234-0", resident: "r1001", channel: outreach.ChannelEmail, delivery: "d1"}
	ctx := t.Context()
	start := time.Now()
	allocs := testing.AllocsPerRun(200, func() { d.trace(ctx, metrics.StageSend, start, nil, id) })
	if allocs != 0 {
		t.Errorf("%v allocations per trace below the log level", allocs)
	}
	if buf.Len() != 0 {
		t.Errorf("trace wrote at info level: %s", buf.String())
	}
	if got := testutil.ToFloat64(d.metrics.Stages.Total.WithLabelValues("send", "ok")); got < 200 {
		t.Errorf("send stage counted %v times, want at least 200", got)
	}
}

// TestTraceLine: at debug level a stage is one line with its ids, result
// and error.
func TestTraceLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	d := &Dispatcher{metrics: metrics.New(prometheus.NewRegistry()), logger: logging.New(&buf, logging.FormatJSON, slog.LevelDebug)}
	d.trace(t.Context(), metrics.StageRender, time.Now(), errors.New("missing contact"),
		ids{job: "wo-1042", entry: "1-0", resident: "r1001", channel: outreach.ChannelSMS, delivery: "d1"})
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	for k, want := range map[string]any{"msg": "stage", "level": "DEBUG", "stage": "render", "job_id": "wo-1042", "entry_id": "1-0",
		"resident_id": "r1001", "channel": "sms", "delivery_id": "d1", "result": "error", "err": "missing contact"} {
		if line[k] != want {
			t.Errorf("%s = %v, want %v", k, line[k], want)
		}
	}
	if _, ok := line["took"]; !ok {
		t.Errorf("no took in %s", buf.String())
	}
}
