package config

import (
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// ParseRetention reads a retention period: a whole number of days such as
// "180d", or a Go duration such as "4320h". "" and "0" mean keep forever
// (0). A negative or malformed period is an error.
func ParseRetention(s string) (time.Duration, error) { return outreach.ParsePeriod(s) }
