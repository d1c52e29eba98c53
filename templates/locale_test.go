package templates

import (
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

func TestCanonicalLocale(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"zh-CN", "zh-CN"},
		{"zh_cn", "zh-CN"},
		{"ZH-cn", "zh-CN"},
		{"zh-hant-tw", "zh-Hant-TW"},
		{"en", "en"},
		{"en_US.UTF-8", "en-US"},
		{"de_DE@euro", "de-DE"},
		{" en-gb ", "en-GB"},
		{"es-419", "es-419"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CanonicalLocale(tt.in); got != tt.want {
			t.Errorf("CanonicalLocale(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBuiltinLocaleFallback(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	tests := []struct{ locale, want string }{
		{"zh-CN", "zh-CN"},
		{"zh_cn", "zh-CN"},
		{"zh", "zh-CN"},
		{"zh-TW", "zh-CN"},
		{"zh-Hant-HK", "zh-CN"},
		{"en", "en"},
		{"en-GB", "en"},
		{"en-US", "en"},
		{"EN_us.UTF-8", "en"},
		{"", "zh-CN"},
		{"fr-FR", "zh-CN"},
		{"!!", "zh-CN"},
	}
	for _, tt := range tests {
		for _, ch := range outreach.AllChannels {
			t.Run(tt.locale+"/"+string(ch), func(t *testing.T) {
				t.Parallel()
				in := sampleInput(t, s, outreach.KindMaintenanceNotice, "en", ch)
				in.Locale = tt.locale
				r, err := s.Render(in)
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				if r.Locale != tt.want {
					t.Errorf("locale %q rendered in %q, want %q", tt.locale, r.Locale, tt.want)
				}
			})
		}
	}
}

// TestLocaleFallbackSteps uses a set with regional locales only, where
// exact, same-language and per-channel fallback differ.
func TestLocaleFallbackSteps(t *testing.T) {
	t.Parallel()
	s, err := Load(mapFS(map[string]string{
		"t/zh-CN/sms.txt.tmpl":     "zh-CN",
		"t/zh-CN/subject.txt.tmpl": "zh-CN",
		"t/zh-CN/body.txt.tmpl":    "zh-CN",
		"t/zh-TW/sms.txt.tmpl":     "zh-TW",
		"t/en-US/sms.txt.tmpl":     "en-US",
		"t/en-GB/sms.txt.tmpl":     "en-GB",
		"t/en-GB/subject.txt.tmpl": "en-GB",
		"t/en-GB/body.txt.tmpl":    "en-GB",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tests := []struct {
		locale string
		ch     outreach.Channel
		want   string
	}{
		{"zh-TW", outreach.ChannelSMS, "zh-TW"},    // exact
		{"zh-tw", outreach.ChannelSMS, "zh-TW"},    // exact, any case
		{"zh-TW", outreach.ChannelEmail, "zh-CN"},  // zh-TW has no email: same language
		{"zh-HK", outreach.ChannelSMS, "zh-CN"},    // same language, first in order
		{"en-US", outreach.ChannelSMS, "en-US"},    // exact
		{"en-US", outreach.ChannelEmail, "en-GB"},  // en-US has no email: same language
		{"en", outreach.ChannelSMS, "en-GB"},       // no "en": first English locale
		{"en-AU", outreach.ChannelEmail, "en-GB"},  // same language
		{"ja", outreach.ChannelSMS, DefaultLocale}, // default
		{"", outreach.ChannelEmail, DefaultLocale}, // default
	}
	for _, tt := range tests {
		r, err := s.Render(Input{Template: "t", Locale: tt.locale, Channel: tt.ch})
		if err != nil {
			t.Errorf("%s/%s: Render: %v", tt.locale, tt.ch, err)
			continue
		}
		if r.Locale != tt.want || r.Text != tt.want {
			t.Errorf("%s/%s: rendered %q in %q, want %q", tt.locale, tt.ch, r.Text, r.Locale, tt.want)
		}
	}
}
