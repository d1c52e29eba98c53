package resident

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrHeader is wrapped by ParseCSV's error when the header row cannot be used.
var ErrHeader = errors.New("bad header")

// The columns the contract knows, by their lower-case header name.
const (
	colID       = "id"
	colName     = "name"
	colEmail    = "email"
	colPhone    = "phone"
	colLocale   = "locale"
	colBuilding = "building"
	colUnit     = "unit"
	colTags     = "tags"
	colChannels = "channels"
	colEstate   = "estate"
)

var knownColumns = []string{colID, colName, colEmail, colPhone, colLocale, colBuilding, colUnit, colTags, colChannels, colEstate}

// header maps the columns of one file.
type header struct {
	width   int
	known   map[string]int // known column name -> index
	extra   []namedColumn  // other named columns: profile attributes
	unnamed []int          // columns whose header cell is empty
	names   []string       // how errors name each column
}

type namedColumn struct {
	index int
	name  string // as written in the header, trimmed
}

// parseHeader reads the header row. Names are trimmed, stripped of a stray
// BOM and matched case-insensitively; a name may appear only once.
func parseHeader(rec []string) (header, error) {
	h := header{width: len(rec), known: make(map[string]int), names: make([]string, len(rec))}
	seen := make(map[string]int) // lower-case name -> index
	for i, cell := range rec {
		if !utf8.ValidString(cell) {
			return header{}, fmt.Errorf("%w: column %d is not valid UTF-8 (save the file as UTF-8)", ErrHeader, i+1)
		}
		name := strings.TrimSpace(strings.ReplaceAll(cell, "\uFEFF", ""))
		if name == "" {
			h.names[i] = fmt.Sprintf("column %d", i+1)
			h.unnamed = append(h.unnamed, i)
			continue
		}
		key := strings.ToLower(name)
		if first, dup := seen[key]; dup {
			return header{}, fmt.Errorf("%w: column %q appears twice (columns %d and %d)", ErrHeader, name, first+1, i+1)
		}
		seen[key] = i
		if slices.Contains(knownColumns, key) {
			h.names[i] = key
			h.known[key] = i
		} else {
			h.names[i] = name
			h.extra = append(h.extra, namedColumn{index: i, name: name})
		}
	}
	for _, req := range []string{colID, colName} {
		if _, ok := h.known[req]; !ok {
			return header{}, fmt.Errorf("%w: missing required column %q (the header must name at least id and name)", ErrHeader, req)
		}
	}
	_, hasEmail := h.known[colEmail]
	_, hasPhone := h.known[colPhone]
	if !hasEmail && !hasPhone {
		// Every row would fail "needs an email or a phone": say it once.
		return header{}, fmt.Errorf("%w: no email or phone column, so no resident could be reached", ErrHeader)
	}
	return h, nil
}
