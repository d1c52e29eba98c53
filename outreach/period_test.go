package outreach

import (
	"strings"
	"testing"
	"time"
)

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	for in, want := range map[string]time.Duration{
		"":        0,
		"0":       0,
		"0d":      0,
		"1d":      day,
		"7d":      7 * day,
		" 7d ":    7 * day,
		"180d":    180 * day,
		"36500d":  36_500 * day,
		"24h":     24 * time.Hour,
		"4320h":   4320 * time.Hour,
		"90m":     90 * time.Minute,
		"1h30m":   90 * time.Minute,
		"0s":      0,
		"1.5h":    90 * time.Minute,
		"\t30d\n": 30 * day,
	} {
		got, err := ParsePeriod(in)
		if err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"180", "six months", "-1d", "-5h", "1.5d", "d", "180days", "7D", "1d12h", "36501d", "107000d", "99999999999999999999d", "1w"} {
		got, err := ParsePeriod(bad)
		if err == nil || got != 0 {
			t.Errorf("ParsePeriod(%q) = %v, %v; want an error", bad, got, err)
			continue
		}
		if !strings.Contains(err.Error(), strings.TrimSpace(bad)) {
			t.Errorf("ParsePeriod(%q): error %q does not quote the input", bad, err)
		}
	}
}

// FuzzParsePeriod: any text gives a period of 0 or more or an error, never
// a panic; what parses, formats back to itself.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"180d", "4320h", "0", "", "-1d", "1e9d", "99999999999999999999d", "1h30m", " 7d ", "d", "5µs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParsePeriod(s)
		if err != nil {
			if d != 0 {
				t.Errorf("ParsePeriod(%q) = %v with an error", s, d)
			}
			return
		}
		if d < 0 {
			t.Errorf("ParsePeriod(%q) = %v, a negative period", s, d)
		}
		again, err := ParsePeriod(d.String())
		if err != nil || again != d {
			t.Errorf("ParsePeriod(%q) = %v, but its String %q gives %v, %v", s, d, d.String(), again, err)
		}
	})
}
