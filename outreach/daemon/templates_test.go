package daemon_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/outreach/dispatch"
)

// rfcNotice is a maintenance notice with RFC 3339 times and a number to
// call, as a work-order system would send it.
const rfcNotice = `{"id":%q,"kind":"maintenance_notice","resident_id":%q,"data":{"title":"Planned water cut","area":"Building 1",` +
	`"start":"2026-12-02T09:00:00+08:00","end":"2026-12-02T12:00:00+08:00","contact":"0755-88888888"}}`

// writeTemplate writes one file of an override folder.
func writeTemplate(t *testing.T, dir, rel, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sent waits for the archive record of job and returns it.
func (h *harness) sent(job string) outreach.Delivery {
	h.t.Helper()
	var rec []outreach.Delivery
	eventually(h.t, "job "+job+" archived as sent", func() bool {
		rec = h.search(outreach.Filter{JobID: job})
		return len(rec) == 1 && rec[0].Status.Accepted() // sent, or queued at Twilio
	})
	return rec[0]
}

// reloads reads outreach_template_reloads_total{result}.
func (h *harness) reloads(result string) float64 {
	return testutil.ToFloat64(h.d.Metrics().TemplateReloads.WithLabelValues(result))
}

// TestTemplateOverrideWithoutRestart is the operator's story: the daemon
// starts with an override folder, an edit to a template takes effect on
// reload without a restart, the archive records the new text and version,
// and a broken edit is rejected with its file and line while the previous
// set keeps serving.
func TestTemplateOverrideWithoutRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const file = "maintenance_notice/en/sms.txt.tmpl"
	writeTemplate(t, dir, file, `[Acme Homes] v1 {{.Data.title}}, {{date "Mon 2 Jan 15:04" .Data.start}}`)
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", func(c *config.Config, _ *dispatch.Config) { c.TemplatesDir = dir })
	if _, err := h.d.Store.UpsertResidents(context.Background(), residents); err != nil {
		t.Fatal(err)
	}
	h.start()

	h.xadd("job", fmt.Sprintf(rfcNotice, "reload-1", "r-sms"))
	v1 := h.sent("reload-1")
	if v1.Body != "[Acme Homes] v1 Planned water cut, Wed 2 Dec 09:00" || v1.Locale != "en" || v1.Variant != "default" {
		t.Errorf("before reload: %q in %s/%s, want the override's v1 text in en", v1.Body, v1.Locale, v1.Variant)
	}

	// A broken edit: rejected with file and line, the old set keeps serving.
	writeTemplate(t, dir, file, "[Acme Homes] v2\n{{.Data.title")
	err := h.d.ReloadTemplates()
	if want := filepath.Join(dir, filepath.FromSlash(file)) + ":2:"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("reload of a broken file: %v, want an error at %s", err, want)
	}
	h.xadd("job", fmt.Sprintf(rfcNotice, "reload-2", "r-sms"))
	if v2 := h.sent("reload-2"); v2.Body != v1.Body || v2.TemplateVersion != v1.TemplateVersion {
		t.Errorf("after a rejected reload: %q version %s, want the old %q version %s", v2.Body, v2.TemplateVersion, v1.Body, v1.TemplateVersion)
	}

	// A good edit, picked up on SIGHUP (Options.Hangup) without a restart.
	writeTemplate(t, dir, file, `[Acme Homes] v3 {{.Data.title}} on {{date .Data.start}}. Tel {{.Data.contact}}`)
	h.hangup <- os.Interrupt // any value: it is the arrival that counts
	eventually(t, "the reload on hangup", func() bool { return h.reloads("success") == 1 })
	h.xadd("job", fmt.Sprintf(rfcNotice, "reload-3", "r-sms"))
	v3 := h.sent("reload-3")
	if v3.Body != "[Acme Homes] v3 Planned water cut on 2 December 2026, 09:00. Tel 0755-88888888" {
		t.Errorf("after reload: %q, want the v3 text", v3.Body)
	}
	if v3.TemplateVersion == v1.TemplateVersion || v3.TemplateVersion == "" {
		t.Errorf("after reload: version %q, want a new one (was %q)", v3.TemplateVersion, v1.TemplateVersion)
	}
	if _, bodies := h.smsTo("+8613800138001"); len(bodies) != 3 || bodies[2] != v3.Body {
		t.Errorf("Twilio got %q, want three SMS ending with the v3 text", bodies)
	}
	if got, want := [2]float64{h.reloads("success"), h.reloads("failure")}, [2]float64{1, 1}; got != want {
		t.Errorf("outreach_template_reloads_total success/failure = %v, want %v", got, want)
	}
}

// TestVariantAndZoneInTheArchive: the same notice reaches an elderly, a
// new and a regular resident in their variant and language, with times in
// the daemon's zone (OUTREACH_TIMEZONE, here London), and the archive
// records the variant. (A resident's own TimeZone is covered by the
// templates tests; the store keeps it once the resident directory does.)
func TestVariantAndZoneInTheArchive(t *testing.T) {
	t.Parallel()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", func(c *config.Config, _ *dispatch.Config) { c.TimeZone = london })
	rs := []outreach.Resident{
		{ID: "r-old", Name: "王秀英", Email: "wang@example.com", Locale: "zh-CN", Tags: []string{"elderly"}},
		{ID: "r-new", Name: "Emily Carter", Email: "emily@example.com", Locale: "en", Tags: []string{"new_resident"}},
		{ID: "r-both", Name: "陈桂兰", Email: "chen@example.com", Locale: "zh-CN", Tags: []string{"new_resident", "elderly"}},
		{ID: "r-plain", Name: "李明", Email: "li@example.com", Locale: "zh-HK"},
	}
	if _, err := h.d.Store.UpsertResidents(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	h.start()
	for _, r := range rs {
		h.xadd("job", fmt.Sprintf(rfcNotice, "var-"+r.ID, r.ID))
	}
	tests := []struct {
		id, variant, locale, text string
	}{
		{"r-old", "elderly", "zh-CN", "需要帮忙，请打电话给我们：\n0755-88888888"},
		{"r-new", "new_resident", "en", "When:  Wednesday 2 December 2026, 01:00 to 04:00"},
		{"r-both", "elderly", "zh-CN", "时间：2026年12月2日 01:00 到 04:00（星期三）"},
		{"r-plain", "default", "zh-CN", "时间：2026年12月2日 01:00 至 04:00（星期三）"}, // zh-HK falls back to zh-CN
	}
	for _, tt := range tests {
		rec := h.sent("var-" + tt.id)
		if rec.Variant != tt.variant || rec.Locale != tt.locale || !strings.Contains(rec.Body, tt.text) {
			t.Errorf("%s: archived %s/%s:\n%s\nwant variant %s in %s with %q", tt.id, rec.Variant, rec.Locale, rec.Body, tt.variant, tt.locale, tt.text)
		}
	}
}

// TestStartRejectsBrokenTemplates: a daemon does not start on an invalid
// override folder, and says which file and line is at fault.
func TestStartRejectsBrokenTemplates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTemplate(t, dir, "welcome/zh-CN/sms.txt.tmpl", "【物业服务中心】\n\n{{if .Data.x}}欢迎")
	cfg, err := config.Load(func(k string) string {
		return map[string]string{
			"OUTREACH_REDIS_URL":     redisURL(),
			"OUTREACH_DATABASE_URL":  "sqlite://" + t.TempDir() + "/a.db",
			"OUTREACH_HTTP_ADDR":     "127.0.0.1:0",
			"OUTREACH_TEMPLATES_DIR": dir,
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(t.Context(), daemon.Options{Config: cfg})
	want := filepath.Join(dir, "welcome", "zh-CN", "sms.txt.tmpl") + ":3:"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "OUTREACH_TEMPLATES_DIR") {
		if d != nil {
			_ = d.Run(canceled())
		}
		t.Fatalf("daemon.New = %v, want an error naming OUTREACH_TEMPLATES_DIR and %s", err, want)
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
