package resident

import (
	"slices"
	"strings"
)

// SplitList splits a tags or channels cell (an import row's, or a form
// field's). ";" is the documented separator;
// the full-width "；", "," and the full-width "，" are accepted too because
// people type them in spreadsheets (a "," needs the cell quoted in CSV).
// Items are trimmed; empty items and repeats are dropped; order is kept.
func SplitList(cell string) []string {
	var out []string
	for item := range strings.FieldsFuncSeq(cell, isListSep) {
		item = strings.TrimSpace(item)
		if item != "" && !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

func isListSep(r rune) bool {
	switch r {
	case ';', '；', ',', '，':
		return true
	}
	return false
}
