package sms

import "strings"

// Encoding is how an SMS travels over the air; it decides how many
// characters fit in one segment.
type Encoding string

// The two encodings an SMS may use. GSM-7 packs the GSM 03.38 alphabet in
// 7 bits a character; any other character (Chinese, emoji, curly quotes)
// makes the whole message UCS-2.
const (
	EncodingGSM7 Encoding = "GSM-7"
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
// billing) apply, and never cuts a character in two: a GSM-7 extension
// character (escape + character) and a UCS-2 surrogate pair (an emoji)
// move whole to the next segment, as handsets and carriers do. A carrier
// may still split differently. It is the one segment counter of outreach:
// the SMS channel, the dev outbox and template previews use it.
func Measure(text string) Size {
	if units, ok := gsmUnits(text); ok {
		return Size{Encoding: EncodingGSM7, Units: sum(units), Segments: pack(units, gsmSingle, gsmMulti)}
	}
	units := ucs2Units(text)
	return Size{Encoding: EncodingUCS2, Units: sum(units), Segments: pack(units, ucs2Single, ucs2Multi)}
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

func sum(units []int) int {
	n := 0
	for _, u := range units {
		n += u
	}
	return n
}

// pack counts segments: one when everything fits in single, otherwise
// characters fill segments of multi in order without being split.
func pack(units []int, single, multi int) int {
	switch total := sum(units); {
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
