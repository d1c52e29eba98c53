package resident

import (
	"cmp"
	"fmt"
	"strings"
)

// Options tune ParseCSV. The zero value is ready to use.
type Options struct {
	// DefaultRegion is the ISO 3166 region used to read phone numbers that
	// have no country code. "CN" when empty.
	DefaultRegion string
	// DefaultLocale is the locale of residents whose locale cell is empty.
	// "zh-CN" when empty.
	DefaultLocale string
}

// withDefaults fills the empty fields and normalizes the others.
func (o Options) withDefaults() Options {
	o.DefaultRegion = cmp.Or(strings.ToUpper(strings.TrimSpace(o.DefaultRegion)), "CN")
	o.DefaultLocale = cmp.Or(strings.TrimSpace(o.DefaultLocale), "zh-CN")
	return o
}

// validate checks options that withDefaults has filled, and returns them
// with the locale in canonical form.
func (o Options) validate() (Options, error) {
	if !knownRegion(o.DefaultRegion) {
		return o, fmt.Errorf("options: DefaultRegion %q is not a region phonenumbers knows", o.DefaultRegion)
	}
	loc, err := NormalizeLocale(o.DefaultLocale)
	if err != nil {
		return o, fmt.Errorf("options: DefaultLocale: %w", err)
	}
	o.DefaultLocale = loc
	return o, nil
}
