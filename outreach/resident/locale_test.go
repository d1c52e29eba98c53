package resident

import "testing"

func TestNormalizeLocale(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // "" means an error is expected
	}{
		{"zh-CN", "zh-CN"},
		{"zh_CN", "zh-CN"},
		{"ZH_cn", "zh-CN"},
		{" en ", "en"},
		{"en-GB", "en-GB"},
		{"en-gb", "en-GB"},
		{"zh-hant-tw", "zh-Hant-TW"},
		{"zh-Hans", "zh-Hans"},
		{"es-419", "es-419"},
		{"yue", "yue"},

		{"", ""},
		{"-", ""},
		{"zh-", ""},
		{"Chinese", ""},
		{"中文", ""},
		{"z", ""},
		{"zh-CHN", ""},
		{"zh-C1", ""},
		{"en-GB-oxendict", ""},
		{"en-US-x-private", ""},
		{"zh CN", ""},
		{"12", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeLocale(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("NormalizeLocale(%q) = %q, want an error", tt.in, got)
		case tt.want != "" && err != nil:
			t.Errorf("NormalizeLocale(%q): %v", tt.in, err)
		case got != tt.want:
			t.Errorf("NormalizeLocale(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
