package config

import (
	"strings"
	"testing"
	"time"
)

func TestRetainContent(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]time.Duration{
		"":      0,
		"0":     0,
		"180d":  180 * 24 * time.Hour,
		"1d":    24 * time.Hour,
		"4320h": 4320 * time.Hour,
		"90m":   90 * time.Minute,
	} {
		c, err := Load(env(map[string]string{"OUTREACH_RETAIN_CONTENT": value}))
		if err != nil || c.RetainContent != want {
			t.Errorf("OUTREACH_RETAIN_CONTENT=%q: %v, %v; want %v", value, c.RetainContent, err, want)
		}
	}
	for _, bad := range []string{"180", "six months", "-1d", "-5h", "1.5d", "d", "180days"} {
		_, err := Load(env(map[string]string{"OUTREACH_RETAIN_CONTENT": bad}))
		if err == nil || !strings.Contains(err.Error(), "OUTREACH_RETAIN_CONTENT") {
			t.Errorf("OUTREACH_RETAIN_CONTENT=%q: error %v, want one naming the variable", bad, err)
		}
	}
	listed := false
	for _, v := range Vars {
		listed = listed || v.Name == "OUTREACH_RETAIN_CONTENT"
	}
	if !listed {
		t.Error("OUTREACH_RETAIN_CONTENT is not in Vars")
	}
}
