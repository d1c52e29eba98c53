package config

import (
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// archiveVars are the variables of the communication archive, listed in Vars.
var archiveVars = []Var{
	{"OUTREACH_RETAIN_CONTENT", "", "purge the rendered subject and body of deliveries older than this, e.g. 180d or 4320h; metadata and history stay (empty or 0: keep forever)"},
}

// loadArchive reads the archive variables through get, appending problems
// to errs.
func loadArchive(get func(name, def string) string, errs *[]error) (retain time.Duration) {
	v := get("OUTREACH_RETAIN_CONTENT", "")
	retain, err := ParseRetention(v)
	if err != nil {
		*errs = append(*errs, fmt.Errorf("OUTREACH_RETAIN_CONTENT: %w", err))
		return 0
	}
	return retain
}

// ParseRetention reads a retention period: a whole number of days such as
// "180d", or a Go duration such as "4320h". "" and "0" mean keep forever
// (0). A negative or malformed period is an error.
func ParseRetention(s string) (time.Duration, error) { return outreach.ParsePeriod(s) }
