package config

import (
	"strings"
	"testing"
)

func TestLoadPolicy(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.Policy.QuietHours.String(); got != "21:00-08:00" || c.Policy.DailyCap != 3 || c.Policy.WeeklyCap != 10 {
		t.Errorf("policy defaults = %s, daily %d, weekly %d; want 21:00-08:00, 3, 10", got, c.Policy.DailyCap, c.Policy.WeeklyCap)
	}
	c, err = Load(env(map[string]string{
		"OUTREACH_QUIET_HOURS":     "22:00-07:00,maintenance_notice=off",
		"OUTREACH_BULK_DAILY_CAP":  "0",
		"OUTREACH_BULK_WEEKLY_CAP": "5",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.Policy.QuietHours.String(); got != "22:00-07:00,maintenance_notice=off" || c.Policy.DailyCap != 0 || c.Policy.WeeklyCap != 5 {
		t.Errorf("policy = %s, daily %d, weekly %d", got, c.Policy.DailyCap, c.Policy.WeeklyCap)
	}
	for name, value := range map[string]string{
		"OUTREACH_QUIET_HOURS":     "9pm-8am",
		"OUTREACH_BULK_DAILY_CAP":  "-1",
		"OUTREACH_BULK_WEEKLY_CAP": "lots",
	} {
		_, err := Load(env(map[string]string{name: value}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Load(%s=%s) error = %v, want one naming %s", name, value, err, name)
		}
	}
	listed := map[string]bool{}
	for _, v := range Vars {
		listed[v.Name] = true
	}
	for _, name := range []string{"OUTREACH_QUIET_HOURS", "OUTREACH_BULK_DAILY_CAP", "OUTREACH_BULK_WEEKLY_CAP", "OUTREACH_TIMEZONE"} {
		if !listed[name] {
			t.Errorf("Vars does not list %s", name)
		}
	}
}
