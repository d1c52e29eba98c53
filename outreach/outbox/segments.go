package outbox

import (
	"strings"
	"unicode/utf16"
)

// gsmBasic and gsmExtension are the GSM 03.38 default alphabet and its
// extension table (whose characters take two septets).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "^{}\\[~]|€\f"
)

// Segments estimates how many SMS parts text takes: GSM-7 text fits 160
// septets in one part and 153 per part when split; anything else is UCS-2,
// 70 UTF-16 units in one part and 67 when split. Chinese text is UCS-2.
func Segments(text string) int {
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
	}
	if gsm {
		return parts(septets, 160, 153)
	}
	return parts(len(utf16.Encode([]rune(text))), 70, 67)
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
