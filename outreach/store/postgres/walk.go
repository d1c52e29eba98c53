package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

// argAppender returns a function that adds a query argument to *args and
// returns its placeholder ($1, $2, ...).
func argAppender(args *[]any) func(v any) string {
	return func(v any) string {
		*args = append(*args, v)
		return fmt.Sprintf("$%d", len(*args))
	}
}

// filterConds turns a filter into WHERE conditions, adding their arguments with arg.
func filterConds(f outreach.Filter, arg func(any) string) (conds []string) {
	for _, eq := range []struct{ column, value string }{
		{"job_id", f.JobID}, {"id", f.DeliveryID}, {"resident_id", f.ResidentID},
		{"estate", f.Estate}, {"building", f.Building}, {"unit", f.Unit}, {"kind", string(f.Kind)},
		{"channel", string(f.Channel)}, {"status", string(f.Status)}, {"campaign", f.Campaign},
	} {
		if eq.value != "" {
			conds = append(conds, eq.column+" = "+arg(eq.value))
		}
	}
	if len(f.Estates) > 0 {
		conds = append(conds, "estate = ANY("+arg(f.Estates)+"::text[])")
	}
	if !f.Since.IsZero() {
		conds = append(conds, "created_at >= "+arg(f.Since))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "created_at < "+arg(f.Until))
	}
	return conds
}

// Walk calls fn for every delivery matching f (Limit is ignored), ordered
// by id, reading walkPage rows at a time so that memory stays flat.
func (s *Store) Walk(ctx context.Context, f outreach.Filter, fn func(outreach.Delivery) error) error {
	f, err := normalize.Filter(f)
	if err != nil {
		return fmt.Errorf("walk deliveries: %w", err)
	}
	after := ""
	for {
		var args []any
		arg := argAppender(&args)
		conds := append(filterConds(f, arg), "id > "+arg(after))
		rows, err := s.pool.Query(ctx, `SELECT `+selectColumns+` FROM deliveries WHERE `+
			strings.Join(conds, " AND ")+` ORDER BY id LIMIT `+arg(walkPage), args...)
		if err != nil {
			return fmt.Errorf("walk deliveries: %w", err)
		}
		page, err := pgx.AppendRows([]outreach.Delivery(nil), rows, scanDelivery)
		if err != nil {
			return fmt.Errorf("walk deliveries: %w", err)
		}
		for _, d := range page {
			if err := fn(d); err != nil {
				return err
			}
		}
		if len(page) < walkPage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

const walkPage = 1000
