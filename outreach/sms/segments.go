package sms

import "strings"

// Encoding is how an SMS is encoded on the air; it decides how many
// characters fit in one segment.
type Encoding string

// The two encodings a carrier uses for text messages.
const (
	// EncodingGSM7 is the GSM 03.38 default alphabet: 160 septets in a
	// single segment, 153 per segment when the text is split.
	EncodingGSM7 Encoding = "GSM-7"
	// EncodingUCS2 is used as soon as one character is outside GSM-7
	// (Chinese, emoji): 70 UTF-16 units in a single segment, 67 per segment
	// when split.
	EncodingUCS2 Encoding = "UCS-2"
)

// gsmBasic and gsmExtension are the GSM 03.38 default alphabet and its
// extension table, whose characters take two septets (an escape and the
// character).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "^{}\\[~]|€\f"
)

// Per-segment capacities: a split message loses room to the concatenation
// header (UDH) in every part.
const (
	gsmSingle, gsmMulti   = 160, 153
	ucs2Single, ucs2Multi = 70, 67
)

// Segments returns how many segments text is sent in and the encoding that
// decides it. Characters are never cut in two: a GSM-7 extension character
// (escape + character) and a UCS-2 surrogate pair (an emoji) move whole to
// the next segment, as handsets and carriers do. Empty text is 0 segments.
// It is the one segment counter of outreach (the SMS channel and the dev
// outbox both use it).
func Segments(text string) (int, Encoding) {
	if units, ok := gsmUnits(text); ok {
		return pack(units, gsmSingle, gsmMulti), EncodingGSM7
	}
	return pack(ucs2Units(text), ucs2Single, ucs2Multi), EncodingUCS2
}

// gsmUnits is the septets of each character, or false when a character is
// not in GSM-7.
func gsmUnits(text string) ([]int, bool) {
	units := make([]int, 0, len(text))
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			units = append(units, 1)
		case strings.ContainsRune(gsmExtension, r):
			units = append(units, 2)
		default:
			return nil, false
		}
	}
	return units, true
}

// ucs2Units is the UTF-16 units of each character: 2 outside the BMP.
func ucs2Units(text string) []int {
	units := make([]int, 0, len(text))
	for _, r := range text {
		if r > 0xFFFF {
			units = append(units, 2)
		} else {
			units = append(units, 1)
		}
	}
	return units
}

// pack counts segments: one when everything fits in single, otherwise
// characters fill segments of multi in order without being split.
func pack(units []int, single, multi int) int {
	total := 0
	for _, u := range units {
		total += u
	}
	switch {
	case total == 0:
		return 0
	case total <= single:
		return 1
	}
	n, used := 1, 0
	for _, u := range units {
		if used+u > multi {
			n++
			used = 0
		}
		used += u
	}
	return n
}
