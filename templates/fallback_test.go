package templates

import (
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

func fallbackTestSet(t *testing.T) *Set {
	t.Helper()
	s, err := Load(mapFS(map[string]string{
		"t/zh-CN/sms.txt.tmpl":     "zh-CN",
		"t/zh-CN/subject.txt.tmpl": "zh-CN",
		"t/zh-CN/body.txt.tmpl":    "zh-CN",
		"t/zh-TW/sms.txt.tmpl":     "zh-TW",
		"t/en/sms.txt.tmpl":        "en",
		"t/en/subject.txt.tmpl":    "en",
		"t/en/body.txt.tmpl":       "en",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

func TestLocaleFallbackRules(t *testing.T) {
	t.Parallel()
	base := fallbackTestSet(t)
	s, err := base.WithLocaleFallback(map[string]string{
		"zh-HK": "zh-TW",
		"zh_mo": "zh-hk", // any case; chains on to zh-TW
		"fr":    "en",    // a bare language covers fr-FR, fr-CA, ...
		"fr-BE": "zh-TW", // a rule of its own beats the language's
		"en-AU": "en-GB", // no en-GB anywhere, but English is written
	})
	if err != nil {
		t.Fatalf("WithLocaleFallback: %v", err)
	}
	tests := []struct {
		locale   string
		ch       outreach.Channel
		want     string // with the rules
		wantBase string // built-in rules only
	}{
		{"zh-HK", outreach.ChannelSMS, "zh-TW", "zh-CN"},
		{"zh-HK", outreach.ChannelEmail, "zh-CN", "zh-CN"}, // zh-TW has no email: on to the language
		{"zh-MO", outreach.ChannelSMS, "zh-TW", "zh-CN"},   // zh-MO -> zh-HK -> zh-TW
		{"zh-TW", outreach.ChannelSMS, "zh-TW", "zh-TW"},   // exact wins over any rule
		{"fr-FR", outreach.ChannelSMS, "en", "zh-CN"},
		{"fr", outreach.ChannelEmail, "en", "zh-CN"},
		{"fr-BE", outreach.ChannelSMS, "zh-TW", "zh-CN"},
		{"en-AU", outreach.ChannelSMS, "en", "en"},
		{"ja", outreach.ChannelSMS, "zh-CN", "zh-CN"},
		{"", outreach.ChannelSMS, "zh-CN", "zh-CN"},
	}
	for _, tt := range tests {
		for set, want := range map[*Set]string{s: tt.want, base: tt.wantBase} {
			r, err := set.Render(Input{Template: "t", Locale: tt.locale, Channel: tt.ch})
			if err != nil {
				t.Errorf("%s/%s: Render: %v", tt.locale, tt.ch, err)
				continue
			}
			if r.Locale != want || r.Text != want {
				t.Errorf("%s/%s (rules: %v): rendered %q in %q, want %q", tt.locale, tt.ch, set.LocaleFallback(), r.Text, r.Locale, want)
			}
		}
	}
}

func TestLocaleFallbackLoopEnds(t *testing.T) {
	t.Parallel()
	s, err := fallbackTestSet(t).WithLocaleFallback(map[string]string{"zh-HK": "zh-MO", "zh-MO": "zh-HK"})
	if err != nil {
		t.Fatalf("WithLocaleFallback: %v", err)
	}
	r, err := s.Render(Input{Template: "t", Locale: "zh-HK", Channel: outreach.ChannelSMS})
	if err != nil || r.Locale != "zh-CN" {
		t.Errorf("Render in a loop of rules: %+v, %v; want zh-CN", r, err)
	}
}

func TestLocaleFallbackRejects(t *testing.T) {
	t.Parallel()
	s := fallbackTestSet(t)
	tests := []struct {
		name  string
		rules map[string]string
		want  string
	}{
		{"not a tag", map[string]string{"zh HK": "zh-TW"}, "want locale tags"},
		{"empty target", map[string]string{"zh-HK": ""}, "want locale tags"},
		{"itself", map[string]string{"en": "EN"}, "cannot fall back to itself"},
		{"twice", map[string]string{"zh-HK": "zh-TW", "zh_hk": "zh-CN"}, "already falls back"},
		{"nowhere", map[string]string{"zh-HK": "ko-KR"}, "no template is written in ko-KR"},
	}
	for _, tt := range tests {
		got, err := s.WithLocaleFallback(tt.rules)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: WithLocaleFallback(%v) = %v, %v; want an error containing %q", tt.name, tt.rules, got, err, tt.want)
		}
	}
}

// TestLocaleFallbackSurvivesOverlay: an override folder laid over a set
// keeps its rules.
func TestLocaleFallbackSurvivesOverlay(t *testing.T) {
	t.Parallel()
	s, err := builtinSet(t).WithLocaleFallback(map[string]string{"fr": "en"})
	if err != nil {
		t.Fatal(err)
	}
	s, err = s.Overlay(mapFS(map[string]string{"parking/zh-CN/sms.txt.tmpl": "车位", "parking/en/sms.txt.tmpl": "parking"}))
	if err != nil {
		t.Fatalf("Overlay: %v", err)
	}
	r, err := s.Render(Input{Template: "parking", Locale: "fr-FR", Channel: outreach.ChannelSMS})
	if err != nil || r.Text != "parking" {
		t.Errorf("fr-FR after Overlay: %+v, %v; want the en text", r, err)
	}
}
