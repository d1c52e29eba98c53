package sms

import (
	"strings"
	"testing"
)

func TestMeasure(t *testing.T) {
	t.Parallel()
	r := strings.Repeat
	tests := []struct {
		name     string
		text     string
		encoding Encoding
		units    int
		segments int
	}{
		{"empty", "", EncodingGSM7, 0, 0},
		{"short GSM", "Water off Tuesday 9-12.", EncodingGSM7, 23, 1},
		{"160 GSM", r("a", 160), EncodingGSM7, 160, 1},
		{"161 GSM", r("a", 161), EncodingGSM7, 161, 2},
		{"306 GSM", r("a", 306), EncodingGSM7, 306, 2},
		{"307 GSM", r("a", 307), EncodingGSM7, 307, 3},
		{"extension chars count twice", r("€", 80), EncodingGSM7, 160, 1},
		{"extension chars over the limit", r("€", 81), EncodingGSM7, 162, 2},
		{"brackets are extension chars", "[Property Office]", EncodingGSM7, 19, 1},
		{"70 Chinese", r("停", 70), EncodingUCS2, 70, 1},
		{"71 Chinese", r("停", 71), EncodingUCS2, 71, 2},
		{"134 Chinese", r("停", 134), EncodingUCS2, 134, 2},
		{"135 Chinese", r("停", 135), EncodingUCS2, 135, 3},
		{"one emoji makes UCS-2, two units each", r("a", 68) + "🏠", EncodingUCS2, 70, 1},
		{"a curly quote makes UCS-2", "It’s fixed", EncodingUCS2, 10, 1},
		{"mixed", "停水通知 Water off", EncodingUCS2, 14, 1},
	}
	for _, tt := range tests {
		got := Measure(tt.text)
		if want := (Size{tt.encoding, tt.units, tt.segments}); got != want {
			t.Errorf("%s: Measure = %+v, want %+v", tt.name, got, want)
		}
	}
}
