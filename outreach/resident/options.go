package resident

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// Options tune ParseCSV and ParseXLSX. The zero value is ready to use.
type Options struct {
	// DefaultRegion is the ISO 3166 region used to read phone numbers that
	// have no country code. "CN" when empty.
	DefaultRegion string
	// DefaultLocale is the locale of residents whose locale cell is empty.
	// "zh-CN" when empty.
	DefaultLocale string
	// Encoding is the encoding of a CSV file; EncodingAuto (empty) detects
	// it. A byte order mark in the file wins over it.
	Encoding Encoding
	// Sheet is the worksheet ParseXLSX reads; the first visible one when
	// empty.
	Sheet string
	// DefaultEstate is the estate of residents whose estate cell is empty
	// (or of every resident of a file without an estate column); when
	// empty they are left without one, which the stores read as
	// outreach.DefaultEstateID.
	DefaultEstate string
	// Estates, when set, are the ids of the estates that exist: a row
	// naming another is reported (ErrUnknownEstate) like any bad row. Nil
	// skips the check (the store refuses unknown estates anyway, but for
	// the whole file, not by line).
	Estates []string
	// Progress, when set, is called as the file is read, with done and
	// total in one unit: bytes of the file for CSV, rows for XLSX; total is
	// 0 when unknown. It is called often (once per read or row), so it
	// must be cheap.
	Progress func(done, total int64)
}

// withDefaults fills the empty fields and normalizes the others.
func (o Options) withDefaults() Options {
	o.DefaultRegion = cmp.Or(strings.ToUpper(strings.TrimSpace(o.DefaultRegion)), "CN")
	o.DefaultLocale = cmp.Or(strings.TrimSpace(o.DefaultLocale), "zh-CN")
	o.DefaultEstate = strings.TrimSpace(o.DefaultEstate)
	if o.Progress == nil {
		o.Progress = func(done, total int64) {}
	}
	return o
}

// validate checks options that withDefaults has filled, and returns them
// with the locale and the encoding in canonical form.
func (o Options) validate() (Options, error) {
	if !knownRegion(o.DefaultRegion) {
		return o, fmt.Errorf("options: DefaultRegion %q is not a region phonenumbers knows", o.DefaultRegion)
	}
	loc, err := NormalizeLocale(o.DefaultLocale)
	if err != nil {
		return o, fmt.Errorf("options: DefaultLocale: %w", err)
	}
	o.DefaultLocale = loc
	if o.DefaultEstate != "" {
		if err := outreach.CheckEstateID(o.DefaultEstate); err != nil {
			return o, fmt.Errorf("options: DefaultEstate: %w", err)
		}
	}
	if def := cmp.Or(o.DefaultEstate, outreach.DefaultEstateID); o.Estates != nil && !slices.Contains(o.Estates, def) {
		return o, fmt.Errorf("options: DefaultEstate %q: %w", def, outreach.ErrUnknownEstate)
	}
	if o.Encoding, err = ParseEncoding(string(o.Encoding)); err != nil {
		return o, fmt.Errorf("options: Encoding: %w", err)
	}
	return o, nil
}
