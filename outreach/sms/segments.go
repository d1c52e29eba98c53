package sms

import (
	"strings"
	"unicode/utf16"
)

// Encoding is how an SMS travels over the air.
type Encoding string

// The two encodings an SMS may use. GSM-7 packs the GSM 03.38 alphabet in
// 7 bits a character; any other character (Chinese, emoji, curly quotes)
// makes the whole message UCS-2.
const (
	EncodingGSM7 Encoding = "GSM-7"
	EncodingUCS2 Encoding = "UCS-2"
)

// gsmBasic and gsmExtension are the GSM 03.38 default alphabet and its
// extension table (whose characters take two septets).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "^{}\\[~]|€\f"
)

// Size is how much room an SMS text takes.
type Size struct {
	Encoding Encoding `json:"encoding"`
	// Units are septets for GSM-7 (two for an extension character such as
	// "[" or "€") and UTF-16 code units for UCS-2.
	Units int `json:"units"`
	// Segments is how many parts the text is sent as: GSM-7 fits 160
	// septets in one part and 153 per part when split; UCS-2 fits 70 units
	// in one part and 67 per part when split. Empty text has none.
	Segments int `json:"segments"`
}

// Measure tells how text is encoded and how many segments it is sent as.
// It follows the GSM 03.38 and UCS-2 rules that carriers (and Twilio
// billing) apply; a carrier may still split differently.
func Measure(text string) Size {
	septets, gsm := 0, true
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			septets++
		case strings.ContainsRune(gsmExtension, r):
			septets += 2
		default:
			gsm = false
		}
		if !gsm {
			break
		}
	}
	if gsm {
		return Size{Encoding: EncodingGSM7, Units: septets, Segments: parts(septets, 160, 153)}
	}
	n := len(utf16.Encode([]rune(text)))
	return Size{Encoding: EncodingUCS2, Units: n, Segments: parts(n, 70, 67)}
}

func parts(n, single, multi int) int {
	switch {
	case n == 0:
		return 0
	case n <= single:
		return 1
	}
	return (n + multi - 1) / multi
}
