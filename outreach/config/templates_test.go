package config

import (
	"maps"
	"strings"
	"testing"
)

func TestLocaleFallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{"", nil, ""},
		{"zh-HK=zh-CN,zh-TW=zh-CN,en-GB=en", map[string]string{"zh-HK": "zh-CN", "zh-TW": "zh-CN", "en-GB": "en"}, ""},
		{" zh_hk = zh-TW , fr=en ,", map[string]string{"zh_hk": "zh-TW", "fr": "en"}, ""},
		{"zh-Hant-HK=zh-TW", map[string]string{"zh-Hant-HK": "zh-TW"}, ""},
		{"zh-HK", nil, `"zh-HK" has no "="`},
		{"zh-HK=", nil, "not a pair of locale tags"},
		{"=en", nil, "not a pair of locale tags"},
		{"chinese=zh-CN", nil, "not a pair of locale tags"},
		{"zh-HK=zh CN", nil, "not a pair of locale tags"},
		{"en_gb=EN-GB", nil, "falls back to itself"},
		{"zh-HK=zh-TW,zh_hk=zh-CN", nil, "given twice"},
	}
	for _, tt := range tests {
		c, err := Load(env(map[string]string{"OUTREACH_LOCALE_FALLBACK": tt.in}))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "OUTREACH_LOCALE_FALLBACK") {
				t.Errorf("%q: error %v, want one naming OUTREACH_LOCALE_FALLBACK with %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: Load: %v", tt.in, err)
			continue
		}
		if !maps.Equal(c.LocaleFallback, tt.want) {
			t.Errorf("%q: LocaleFallback = %v, want %v", tt.in, c.LocaleFallback, tt.want)
		}
	}
}

func TestTemplatesDir(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"OUTREACH_TEMPLATES_DIR": " /etc/outreach/templates "}))
	if err != nil || c.TemplatesDir != "/etc/outreach/templates" {
		t.Errorf("TemplatesDir = %q, %v", c.TemplatesDir, err)
	}
}
