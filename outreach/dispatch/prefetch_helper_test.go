package dispatch

import "github.com/outreach-dev/outreach/outreach"

// prefetchedWithResident is what prefetch gives a job whose resident it
// found.
func prefetchedWithResident(r outreach.Resident) *prefetched {
	return &prefetched{decoded: true, lockTried: true, locked: true, residents: []outreach.Resident{r}}
}
