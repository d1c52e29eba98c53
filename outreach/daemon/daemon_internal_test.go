package daemon

import (
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/dispatch"
)

func TestSendTimeoutCoversTheRateLimitQueue(t *testing.T) {
	t.Parallel()
	sms := config.Config{TwilioAccountSID: "AC1", Delivery: config.Delivery{SMSRate: 1}}
	tests := []struct {
		name string
		cfg  config.Config
		dc   dispatch.Config
		want time.Duration
	}{
		{"no SMS", config.Config{}, dispatch.Config{Workers: 16}, 30 * time.Second},
		{"1/s, 16 workers", sms, dispatch.Config{Workers: 16}, 46 * time.Second},
		{"no limit", config.Config{TwilioAccountSID: "AC1"}, dispatch.Config{Workers: 16}, 30 * time.Second},
		{"OUTREACH_SEND_TIMEOUT", config.Config{Delivery: config.Delivery{SendTimeout: 4 * time.Second}}, dispatch.Config{Workers: 16}, 4 * time.Second},
		{"a test's own timeout", sms, dispatch.Config{Workers: 4, SendTimeout: 5 * time.Second}, 9 * time.Second},
	}
	for _, tt := range tests {
		if got := sendTimeout(tt.cfg, tt.dc); got != tt.want {
			t.Errorf("%s: sendTimeout = %v, want %v", tt.name, got, tt.want)
		}
	}
}
