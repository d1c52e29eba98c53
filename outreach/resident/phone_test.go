package resident

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		raw    string
		region string
		want   string // "" means an error is expected
	}{
		{"CN mobile digits", "13800138000", "CN", "+8613800138000"},
		{"CN mobile spaced", "138 0013 8000", "CN", "+8613800138000"},
		{"CN mobile dashed", "138-0013-8000", "CN", "+8613800138000"},
		{"CN mobile plus country code", "+86 138-0013-8000", "CN", "+8613800138000"},
		{"CN mobile IDD prefix", "0086 138 0013 8000", "CN", "+8613800138000"},
		{"CN mobile country code without plus", "86 13800138000", "CN", "+8613800138000"},
		{"CN mobile full-width digits", "１３８００１３８０００", "CN", "+8613800138000"},
		{"CN mobile surrounding space", "  13912345678 \t", "CN", "+8613912345678"},
		{"CN mobile lower-case region", "13800138000", "cn", "+8613800138000"},
		{"CN mobile from another region with plus", "+8613800138000", "US", "+8613800138000"},
		{"CN mobile no region with plus", "+86 138 0013 8000", "", "+8613800138000"},
		{"Beijing landline", "010-6552 9988", "CN", "+861065529988"},
		{"Shenzhen landline in brackets", "(0755) 8888 8888", "CN", "+8675588888888"},
		{"Shenzhen landline full-width brackets", "（0755）8888 8888", "CN", "+8675588888888"},
		{"US number region US", "(415) 555-2671", "US", "+14155552671"},
		{"US number with 1", "1-415-555-2671", "US", "+14155552671"},
		{"UK mobile with plus", "+44 7911 123456", "CN", "+447911123456"},
		{"UK mobile region GB", "07911 123456", "GB", "+447911123456"},

		{"empty", "", "CN", ""},
		{"blank", "   ", "CN", ""},
		{"words", "call me", "CN", ""},
		{"vanity letters", "1-800-FLOWERS", "US", ""},
		{"extension", "010-6552 9988 ext. 12", "CN", ""},
		{"Chinese extension", "010-6552 9988转12", "CN", ""},
		{"hash extension", "010-6552 9988#12", "CN", ""},
		{"too short", "12345", "CN", ""},
		{"CN mobile one digit short", "1380013800", "CN", ""},
		{"CN mobile one digit long", "138001380001", "CN", ""},
		{"invalid CN prefix", "12800138000", "CN", ""},
		{"punctuation only", "---", "CN", ""},
		{"no country code and no region", "13800138000", "", ""},
		{"unknown region", "13800138000", "XX", ""},
		{"unassigned country code", "+999 1234 5678", "CN", ""},
		{"UK number too short", "+44 7911 12345", "CN", ""},
		{"too long", strings.Repeat("1", 300), "CN", ""},
		{"Excel scientific notation", "1.38001E+10", "CN", ""},
		{"scientific notation lower case", "1.3800138e10", "CN", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizePhone(tt.raw, tt.region)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("NormalizePhone(%q, %q) = %q, want an error", tt.raw, tt.region, got)
				}
				if !errors.Is(err, ErrInvalidPhone) {
					t.Errorf("error %v does not wrap ErrInvalidPhone", err)
				}
				if digits := onlyDigits(tt.raw); len(digits) >= 5 && strings.Contains(err.Error(), digits) {
					t.Errorf("error %q leaks the number", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NormalizePhone(%q, %q): %v", tt.raw, tt.region, err)
			}
			if got != tt.want {
				t.Errorf("NormalizePhone(%q, %q) = %q, want %q", tt.raw, tt.region, got, tt.want)
			}
		})
	}
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
