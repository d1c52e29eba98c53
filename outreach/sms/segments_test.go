package sms

import (
	"strings"
	"testing"
)

func TestSegments(t *testing.T) {
	t.Parallel()
	r := strings.Repeat
	tests := []struct {
		name string
		text string
		want int
		enc  Encoding
	}{
		{"empty", "", 0, EncodingGSM7},
		{"short GSM", "Water off Tuesday 9-12.", 1, EncodingGSM7},
		{"160 GSM", r("a", 160), 1, EncodingGSM7},
		{"161 GSM", r("a", 161), 2, EncodingGSM7},
		{"306 GSM", r("a", 306), 2, EncodingGSM7},
		{"307 GSM", r("a", 307), 3, EncodingGSM7},
		{"extension chars count twice", r("€", 80), 1, EncodingGSM7},
		{"extension chars over the limit", r("€", 81), 2, EncodingGSM7},
		{"extension char not split at a boundary", r("a", 152) + "€" + r("a", 152), 3, EncodingGSM7},
		{"70 Chinese", r("停", 70), 1, EncodingUCS2},
		{"71 Chinese", r("停", 71), 2, EncodingUCS2},
		{"134 Chinese: two parts of 67", r("停", 134), 2, EncodingUCS2},
		{"135 Chinese", r("停", 135), 3, EncodingUCS2},
		{"one emoji makes UCS-2, two units each", r("a", 68) + "🏠", 1, EncodingUCS2},
		{"emoji not split at a boundary", r("停", 66) + "🏠" + r("停", 66), 3, EncodingUCS2},
		{"mixed", "停水通知 Water off", 1, EncodingUCS2},
	}
	for _, tt := range tests {
		n, enc := Segments(tt.text)
		if n != tt.want || enc != tt.enc {
			t.Errorf("%s: Segments = %d, %s; want %d, %s", tt.name, n, enc, tt.want, tt.enc)
		}
	}
}

func FuzzSegments(f *testing.F) {
	for _, s := range []string{"", "hello", "停水通知", "€€€", "🏠"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, enc := Segments(s)
		if (n == 0) != (s == "") {
			t.Fatalf("Segments(%q) = %d", s, n)
		}
		if enc != EncodingGSM7 && enc != EncodingUCS2 {
			t.Fatalf("Segments(%q) encoding %q", s, enc)
		}
	})
}
