package outreach

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParsePeriod reads a period as settings and estates write it: a whole
// number of days such as "180d" (at most a century: a time.Duration ends
// at about 292 years), or a Go duration such as "4320h". "" and "0" are 0.
// A negative or malformed period is an error.
func ParsePeriod(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 36_500 {
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
