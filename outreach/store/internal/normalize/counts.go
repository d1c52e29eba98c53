package normalize

import (
	"fmt"
	"slices"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// Counts sums DeliveryCounts by channel and status: CountDeliveries adds
// up the stored whole hours and the rows of the part-hours at the ends.
type Counts struct {
	at   map[[2]string]int
	list []outreach.DeliveryCount
}

// Add adds c to the sum of its channel and status.
func (s *Counts) Add(c outreach.DeliveryCount) {
	if s.at == nil {
		s.at = map[[2]string]int{}
	}
	k := [2]string{string(c.Channel), string(c.Status)}
	if i, ok := s.at[k]; ok {
		s.list[i].Count += c.Count
		return
	}
	s.at[k] = len(s.list)
	s.list = append(s.list, c)
}

// List is the sums that are not 0, in the order first added.
func (s *Counts) List() []outreach.DeliveryCount {
	out := make([]outreach.DeliveryCount, 0, len(s.list))
	for _, c := range s.list {
		if c.Count != 0 {
			out = append(out, c)
		}
	}
	return out
}

// CheckCounts compares stored counts with a recount of the rows, both by
// key, and names the keys that differ (a stored 0 is a key without rows).
func CheckCounts(stored, recount map[string]int64) error {
	var bad []string
	for k, n := range stored {
		if n != recount[k] { // a key without rows is 0 in recount
			bad = append(bad, fmt.Sprintf("%s: stored %d, rows %d", k, n, recount[k]))
		}
	}
	for k, n := range recount {
		if _, ok := stored[k]; !ok {
			bad = append(bad, fmt.Sprintf("%s: stored none, rows %d", k, n))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("stored counts differ from the rows: %s", strings.Join(bad, "; "))
}

// CountsQueries are the statements of a store's CheckStoredCounts: each
// yields (key, n) rows, the stored counts and the recount of the rows,
// keyed alike ("campaign c status", "hour h estate channel status"),
// hour the store's SQL expression of created_at's hour key.
func CountsQueries(hour string) (stored, recount []string) {
	return []string{
			`SELECT 'campaign ' || campaign || ' ' || status, n FROM campaign_counts`,
			`SELECT 'hour ' || hour || ' ' || estate || ' ' || channel || ' ' || status, n FROM delivery_hour_counts`,
		}, []string{
			`SELECT 'campaign ' || campaign || ' ' || status, count(*) FROM deliveries WHERE campaign <> '' GROUP BY campaign, status`,
			`SELECT 'hour ' || ` + hour + ` || ' ' || estate || ' ' || channel || ' ' || status, count(*) FROM deliveries
				GROUP BY ` + hour + `, estate, channel, status`,
		}
}
