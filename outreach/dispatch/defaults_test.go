package dispatch

import (
	"testing"

	"github.com/outreach-dev/outreach/outreach/config"
)

// TestDefaultsAreTheSettings: the dispatcher's own defaults are those of
// the settings that fill them (OUTREACH_WORKERS, OUTREACH_MAX_ATTEMPTS,
// OUTREACH_MAX_CLAIMS), so that a Config built in code behaves as the
// daemon does.
func TestDefaultsAreTheSettings(t *testing.T) {
	t.Parallel()
	settings, err := config.Load(func(string) string { return "" }, config.GroupDispatch)
	if err != nil {
		t.Fatal(err)
	}
	got := Config{}.withDefaults()
	if got.Workers != settings.Workers || got.MaxAttempts != settings.MaxAttempts || got.MaxClaims != settings.MaxClaims {
		t.Errorf("dispatch defaults: workers %d, attempts %d, claims %d; settings: %d, %d, %d",
			got.Workers, got.MaxAttempts, got.MaxClaims, settings.Workers, settings.MaxAttempts, settings.MaxClaims)
	}
}
