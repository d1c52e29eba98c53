package daemon_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/outreach/dispatch"
)

// TestDefaultEstateFromSettings: a fresh install's default estate takes
// the company, phone and signature from the settings; what the settings
// leave unset keeps what `outreach estates set default` wrote, and a
// restart with the same settings writes nothing.
func TestDefaultEstateFromSettings(t *testing.T) {
	t.Parallel()
	url := "sqlite://" + t.TempDir() + "/estate.db"
	settings := func(c *config.Config, _ *dispatch.Config) {
		c.DefaultEstate = config.DefaultEstate{Company: "万科物业", ServicePhone: "0571-88880001", SMSSignature: "【万科物业】"}
	}
	h := newHarness(t, url, settings)
	ctx := t.Context()
	e, err := h.d.Store.Estate(ctx, outreach.DefaultEstateID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Company != "万科物业" || e.ServicePhone != "0571-88880001" || e.SMSSignature != "【万科物业】" {
		t.Fatalf("default estate after start = %+v, want the settings' identity", e)
	}
	e, err = h.d.Store.UpdateEstate(ctx, outreach.DefaultEstateID, func(e *outreach.Estate) error {
		e.Name, e.OfficeHours = "阳光花园", "8:00-20:00"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	h2 := newHarness(t, url, settings)
	got, err := h2.d.Store.Estate(ctx, outreach.DefaultEstateID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "阳光花园" || got.OfficeHours != "8:00-20:00" || got.Company != "万科物业" {
		t.Errorf("after a restart = %+v, want the name and hours set by hand kept", got)
	}
	if !got.UpdatedAt.Equal(e.UpdatedAt) {
		t.Errorf("a restart with the same settings rewrote the estate (UpdatedAt %v, was %v)", got.UpdatedAt, e.UpdatedAt)
	}
}

// TestRunningLoggedOnceReading: "outreach daemon running" is logged once
// the daemon reads (its consumer groups exist), and only once.
func TestRunningLoggedOnceReading(t *testing.T) {
	t.Parallel()
	buf := &syncBuffer{}
	h := newHarnessWith(t, "sqlite://"+t.TempDir()+"/a.db", nil, func(o *daemon.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(buf, nil))
	})
	if strings.Contains(buf.String(), "daemon running") {
		t.Fatal("logged running before Run")
	}
	h.start()
	for range 600 {
		if strings.Contains(buf.String(), "daemon running") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(buf.String(), "outreach daemon running"); n != 1 {
		t.Errorf("logged running %d times, want once:\n%s", n, buf.String())
	}
	if groups, err := h.rdb.XInfoGroups(t.Context(), h.keys.Stream).Result(); err != nil || len(groups) == 0 {
		t.Errorf("running, but the stream has no group: %v %v", groups, err)
	}
}
