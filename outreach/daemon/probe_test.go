package daemon_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/outreach/sms/twiliotest"
)

// TestReadyzFollowsAnIdleProvider: sends that fail make /readyz say the
// provider is down; once it is back, a daemon with nothing more to send
// says 200 again by its probes, well within the 60 s after which it would
// otherwise forget the failures (eventually gives up after 30 s).
func TestReadyzFollowsAnIdleProvider(t *testing.T) {
	t.Parallel()
	h := newHarnessWith(t, databaseURLs(t)["sqlite"], func(_ *config.Config, dc *dispatch.Config) {
		dc.MaxAttempts = dispatch.HealthFailures
	}, func(o *daemon.Options) { o.ProbeEvery = 50 * time.Millisecond })
	const phone = "+8613800138311"
	h.upsert(outreach.Resident{ID: "r-probe", Name: "王芳", Phone: phone, Locale: "zh-CN"})
	h.twilio.Outage(&twiliotest.Unavailable)
	h.start()
	readyz := func() (int, string) {
		res, err := http.Get("http://" + h.d.Addr() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	h.xadd("job", fmt.Sprintf(notice, "job-probe", "r-probe", ""))
	eventually(t, "/readyz 503 after the SMS's failed attempts", func() bool { code, _ := readyz(); return code == http.StatusServiceUnavailable })
	if _, body := readyz(); !strings.Contains(body, "sms") {
		t.Errorf("/readyz during the outage: %s, want it to name sms", body)
	}
	fetches := h.twilio.AccountFetches()
	eventually(t, "probes during the outage", func() bool { return h.twilio.AccountFetches() > fetches })
	if code, _ := readyz(); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the probes fail: %d, want 503", code)
	}
	h.twilio.Outage(nil)
	eventually(t, "/readyz 200 after the outage, with nothing sent", func() bool { code, _ := readyz(); return code == http.StatusOK })
	if n := len(h.twilio.Messages()); n != 0 {
		t.Errorf("Twilio took %d messages, want 0 (the probes send none)", n)
	}
}
