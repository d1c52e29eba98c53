package logging_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/logging"
)

type contact struct{ email string }

func (c contact) String() string { return "contact " + c.email }

// TestMasksEverywhere: the message, string attributes, errors, Stringers,
// attributes given to With and inside groups all come out masked; ids and
// numbers come out as they are.
func TestMasksEverywhere(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := logging.New(&buf, logging.FormatJSON, slog.LevelDebug).With("to", "olivia@example.com")
	log.Debug("send to +8613800138000 failed",
		"job_id", "wo-1042",
		"entry_id", "1764454881234-0",
		"err", fmt.Errorf("smtp: %w", errors.New("550 <olivia@example.com> unknown")),
		"who", contact{"olivia@example.com"},
		"secret", outreach.Secret("hunter2"),
		slog.Group("resident", "phone", "13800138000"),
		"attempt", 2)
	out := buf.String()
	for _, leak := range []string{"olivia@example.com", "+8613800138000", "13800138000", "hunter2"} {
		if strings.Contains(out, leak) {
			t.Errorf("log holds %q: %s", leak, out)
		}
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON object: %v: %s", err, out)
	}
	for k, want := range map[string]any{
		"job_id": "wo-1042", "entry_id": "1764454881234-0", "attempt": 2.0,
		"to": "ol***@example.com", "msg": "send to +86138****8000 failed",
	} {
		if rec[k] != want {
			t.Errorf("%s = %v, want %v", k, rec[k], want)
		}
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	for format, prefix := range map[string]string{
		logging.FormatJSON: "{",
		logging.FormatText: "time=",
		logging.FormatAuto: "{", // a buffer is no terminal
		"bogus":            "{",
	} {
		var buf bytes.Buffer
		logging.New(&buf, format, slog.LevelInfo).Info("hello")
		if !strings.HasPrefix(buf.String(), prefix) {
			t.Errorf("format %s wrote %q, want it to start with %q", format, buf.String(), prefix)
		}
	}
}

func TestLevel(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := logging.New(&buf, logging.FormatJSON, slog.LevelInfo)
	log.Debug("hidden")
	log.Warn("shown")
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.Contains(out, "shown") {
		t.Errorf("at info level: %q", out)
	}
}

// TestDisabledDebugAllocatesNothing: a debug line below the level costs no
// allocation (the hot path logs a line per stage).
func TestDisabledDebugAllocatesNothing(t *testing.T) {
	log := logging.New(&bytes.Buffer{}, logging.FormatJSON, slog.LevelInfo)
	ctx := t.Context()
	allocs := testing.AllocsPerRun(100, func() {
		if log.Enabled(ctx, slog.LevelDebug) {
			log.LogAttrs(ctx, slog.LevelDebug, "stage", slog.String("job_id", "wo-1"))
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per disabled debug line", allocs)
	}
}
