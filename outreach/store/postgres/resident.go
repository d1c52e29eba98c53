package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

// residentPage is how many residents Residents reads per query.
const residentPage = 500

const residentColumns = `id, name, email, phone, locale, building, unit, tags, channels, attributes, updated_at`

// upsertResident reports whether it inserted (true) or updated (false) the
// row: a freshly inserted row version has no xmax, while ON CONFLICT DO
// UPDATE leaves its row lock's transaction id there.
const upsertResident = `INSERT INTO residents (` + residentColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
	ON CONFLICT (id) DO UPDATE SET
		name = excluded.name, email = excluded.email, phone = excluded.phone,
		locale = excluded.locale, building = excluded.building, unit = excluded.unit,
		tags = excluded.tags, channels = excluded.channels,
		attributes = excluded.attributes, updated_at = excluded.updated_at
	RETURNING xmax = 0`

// UpsertResidents inserts or replaces residents by ID in one transaction
// and one round trip (a pipelined batch runs as one implicit transaction).
// The batch behaves as if applied in order: a second row with the same ID
// counts as an update of the first. A zero UpdatedAt is set to the time
// of the call.
func (s *Store) UpsertResidents(ctx context.Context, rs []outreach.Resident) (outreach.ImportResult, error) {
	var res outreach.ImportResult
	rs, err := normalize.Residents(rs, s.now())
	if err != nil {
		return res, fmt.Errorf("upsert residents: %w", err)
	}
	if len(rs) == 0 {
		return res, nil
	}
	b := &pgx.Batch{}
	for _, r := range rs {
		attrs := r.Attributes
		if attrs == nil {
			attrs = map[string]string{}
		}
		b.Queue(upsertResident, r.ID, r.Name, r.Email, r.Phone, r.Locale, r.Building, r.Unit,
			nonNil(r.Tags), channelStrings(r.Channels), attrs, r.UpdatedAt)
	}
	br := s.pool.SendBatch(ctx, b)
	for _, r := range rs {
		var inserted bool
		if err := br.QueryRow().Scan(&inserted); err != nil {
			br.Close()
			return outreach.ImportResult{}, fmt.Errorf("upsert residents: %q: %w", r.ID, err)
		}
		if inserted {
			res.Added++
		} else {
			res.Updated++
		}
	}
	if err := br.Close(); err != nil {
		return outreach.ImportResult{}, fmt.Errorf("upsert residents: %w", err)
	}
	return res, nil
}

// Resident returns the resident with id; an unknown id wraps
// outreach.ErrNotFound.
func (s *Store) Resident(ctx context.Context, id string) (outreach.Resident, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+residentColumns+` FROM residents WHERE id = $1`, id)
	if err != nil {
		return outreach.Resident{}, fmt.Errorf("get resident %q: %w", id, err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanResident)
	if errors.Is(err, pgx.ErrNoRows) {
		return outreach.Resident{}, fmt.Errorf("get resident %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return outreach.Resident{}, fmt.Errorf("get resident %q: %w", id, err)
	}
	return r, nil
}

// Residents calls fn for each resident in a, ordered by id. It reads a page
// of residents at a time (keyset on id) and holds no connection while fn
// runs, so fn may use the store. An empty audience selects nobody.
func (s *Store) Residents(ctx context.Context, a outreach.Audience, fn func(outreach.Resident) error) error {
	if a.Empty() {
		return nil
	}
	query, args := audienceQuery(a)
	after := ""
	for {
		args[0] = after
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("list residents: %w", err)
		}
		page, err := pgx.CollectRows(rows, scanResident)
		if err != nil {
			return fmt.Errorf("list residents: %w", err)
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < residentPage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// audienceQuery is the page query for a. Its first argument, left for the
// caller to set, is the id after which the page starts.
func audienceQuery(a outreach.Audience) (string, []any) {
	args := []any{""}
	conds := []string{"id > $1"}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	for _, f := range []struct{ column, value string }{
		{"building", a.Building}, {"unit", a.Unit}, {"locale", a.Locale},
	} {
		if f.value != "" {
			conds = append(conds, f.column+" = "+arg(f.value))
		}
	}
	if len(a.Tags) > 0 {
		conds = append(conds, "tags @> "+arg(a.Tags)+"::text[]")
	}
	query := `SELECT ` + residentColumns + ` FROM residents WHERE ` + strings.Join(conds, " AND ") +
		fmt.Sprintf(" ORDER BY id LIMIT %d", residentPage)
	return query, args
}

func scanResident(row pgx.CollectableRow) (outreach.Resident, error) {
	var (
		r        outreach.Resident
		channels []string
	)
	if err := row.Scan(&r.ID, &r.Name, &r.Email, &r.Phone, &r.Locale, &r.Building, &r.Unit,
		&r.Tags, &channels, &r.Attributes, &r.UpdatedAt); err != nil {
		return r, err
	}
	if len(r.Tags) == 0 {
		r.Tags = nil
	}
	for _, c := range channels {
		r.Channels = append(r.Channels, outreach.Channel(c))
	}
	if len(r.Attributes) == 0 {
		r.Attributes = nil
	}
	r.UpdatedAt = r.UpdatedAt.UTC()
	return r, nil
}

// nonNil returns s, or an empty slice for nil: pgx encodes a nil slice as
// NULL, and the array columns are NOT NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func channelStrings(cs []outreach.Channel) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}
