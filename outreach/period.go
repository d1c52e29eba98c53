package outreach

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParsePeriod reads a period: the one parser of "7d"-style periods, used by
// the settings (OUTREACH_RETAIN_CONTENT, durations in config), an estate's
// survey_fatigue, case limits, the command line's --since, --until and
// --older-than and the HTTP API's since. It accepts
//
//   - a whole number of days: "7d", "180d" (at most 36500d, a century: a
//     time.Duration ends at about 292 years);
//   - a Go duration: "24h", "90m", "1h30m", "4320h";
//   - "" or "0": 0.
//
// Space around the period is ignored. A negative period, a fraction of a
// day ("1.5d"), a bare number other than 0 ("180"), units mixed with days
// ("1d12h") or any other text is an error that quotes the input.
func ParsePeriod(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > maxPeriodDays {
			return 0, fmt.Errorf("want a period such as 180d or 4320h, got %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("want a period such as 180d or 4320h, got %q", s)
	}
	return d, nil
}

// maxPeriodDays bounds a period in days: a century.
const maxPeriodDays = 36_500
