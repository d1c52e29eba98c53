package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

// residentPage is how many residents Residents reads per query.
const residentPage = 500

const residentColumns = `id, name, email, phone, locale, building, unit, tags, channels, attributes, updated_at,
	time_zone, opt_out_channels, opt_out_kinds, estate`

// mergeSet is the SQL for the union of the JSON array in column and the
// JSON array parameter, sorted, without repeats: the stored opt-outs plus
// the given ones.
func mergeSet(column string) string {
	return `(SELECT json_group_array(value ORDER BY value) FROM (
		SELECT value FROM json_each(residents.` + column + `) UNION SELECT value FROM json_each(?)))`
}

// UpsertResidents inserts or replaces residents by ID in one transaction.
// The stored opt-outs are kept and the given ones added (see
// outreach.Store). The batch behaves as if applied in order: a second row
// with the same ID counts as an update of the first. A zero UpdatedAt is
// set to the time of the call.
func (s *Store) UpsertResidents(ctx context.Context, rs []outreach.Resident) (res outreach.ImportResult, err error) {
	rs, err = normalize.Residents(rs, s.now())
	if err != nil {
		return res, fmt.Errorf("upsert residents: %w", err)
	}
	if len(rs) == 0 {
		return res, nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("upsert residents: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	// UPDATE first and INSERT when it touched nothing: the only way SQLite
	// tells an insert from an update. The write lock, held since BEGIN,
	// keeps the count exact.
	update, err := tx.PrepareContext(ctx, `UPDATE residents SET
		name = ?, email = ?, phone = ?, locale = ?, building = ?, unit = ?,
		tags = ?, channels = ?, attributes = ?, updated_at = ?, time_zone = ?,
		opt_out_channels = `+mergeSet("opt_out_channels")+`,
		opt_out_kinds = `+mergeSet("opt_out_kinds")+`,
		estate = ?
		WHERE id = ?`)
	if err != nil {
		return res, fmt.Errorf("upsert residents: prepare update: %w", err)
	}
	defer update.Close()
	insert, err := tx.PrepareContext(ctx, `INSERT INTO residents (`+residentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return res, fmt.Errorf("upsert residents: prepare insert: %w", err)
	}
	defer insert.Close()
	if err := checkEstates(ctx, tx, rs); err != nil {
		return res, fmt.Errorf("upsert residents: %w", err)
	}

	for _, r := range rs {
		l, err := encodeResidentLists(r)
		if err != nil {
			return res, fmt.Errorf("upsert residents: %w", err)
		}
		upd, err := update.ExecContext(ctx, r.Name, r.Email, r.Phone, r.Locale, r.Building, r.Unit,
			l.tags, l.channels, l.attrs, micros(r.UpdatedAt), r.TimeZone, l.optOutChannels, l.optOutKinds, r.Estate, r.ID)
		if err != nil {
			return res, fmt.Errorf("upsert residents: update %q: %w", r.ID, err)
		}
		n, err := upd.RowsAffected()
		if err != nil {
			return res, fmt.Errorf("upsert residents: update %q: %w", r.ID, err)
		}
		if n > 0 {
			res.Updated++
			continue
		}
		if _, err := insert.ExecContext(ctx, r.ID, r.Name, r.Email, r.Phone, r.Locale, r.Building, r.Unit,
			l.tags, l.channels, l.attrs, micros(r.UpdatedAt), r.TimeZone, l.optOutChannels, l.optOutKinds, r.Estate); err != nil {
			return res, fmt.Errorf("upsert residents: insert %q: %w", r.ID, err)
		}
		res.Added++
	}
	if err := tx.Commit(); err != nil {
		return outreach.ImportResult{}, fmt.Errorf("upsert residents: commit: %w", err)
	}
	return res, nil
}

// Resident returns the resident with id; an unknown id wraps
// outreach.ErrNotFound.
func (s *Store) Resident(ctx context.Context, id string) (outreach.Resident, error) {
	if !normalize.ValidText(id) {
		return outreach.Resident{}, fmt.Errorf("get resident %q: %w", id, outreach.ErrNotFound)
	}
	row := s.read.QueryRowContext(ctx, `SELECT `+residentColumns+` FROM residents WHERE id = ?`, id)
	r, err := scanResident(row)
	if errors.Is(err, sql.ErrNoRows) {
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
	query, args := sqlq.ResidentPage(sqlq.SQLite, residentColumns, a, residentPage, nil)
	after := ""
	for {
		args[0] = after
		page, err := s.residentPage(ctx, query, args)
		if err != nil {
			return err
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

// ListResidents returns the page of the directory that f selects.
func (s *Store) ListResidents(ctx context.Context, f outreach.ResidentFilter) ([]outreach.Resident, error) {
	f, err := normalize.ResidentFilter(f)
	if err != nil {
		return nil, fmt.Errorf("list residents: %w", err)
	}
	query, args := sqlq.ResidentPage(sqlq.SQLite, residentColumns, f.Audience, f.Limit, f.Estates)
	args[0] = f.After
	return s.residentPage(ctx, query, args)
}

func (s *Store) residentPage(ctx context.Context, query string, args []any) ([]outreach.Resident, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list residents: %w", err)
	}
	defer rows.Close()
	var page []outreach.Resident
	for rows.Next() {
		r, err := scanResident(rows)
		if err != nil {
			return nil, fmt.Errorf("list residents: %w", err)
		}
		page = append(page, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list residents: %w", err)
	}
	return page, nil
}

func scanResident(row interface{ Scan(...any) error }) (outreach.Resident, error) {
	var (
		r                     outreach.Resident
		tags, channels, attrs string
		optChannels, optKinds string
		updated               int64
	)
	if err := row.Scan(&r.ID, &r.Name, &r.Email, &r.Phone, &r.Locale, &r.Building, &r.Unit,
		&tags, &channels, &attrs, &updated, &r.TimeZone, &optChannels, &optKinds, &r.Estate); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(optChannels), &r.OptOutChannels); err != nil {
		return r, fmt.Errorf("decode opt_out_channels of %q: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(optKinds), &r.OptOutKinds); err != nil {
		return r, fmt.Errorf("decode opt_out_kinds of %q: %w", r.ID, err)
	}
	if len(r.OptOutChannels) == 0 {
		r.OptOutChannels = nil
	}
	if len(r.OptOutKinds) == 0 {
		r.OptOutKinds = nil
	}
	if err := json.Unmarshal([]byte(tags), &r.Tags); err != nil {
		return r, fmt.Errorf("decode tags of %q: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(channels), &r.Channels); err != nil {
		return r, fmt.Errorf("decode channels of %q: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(attrs), &r.Attributes); err != nil {
		return r, fmt.Errorf("decode attributes of %q: %w", r.ID, err)
	}
	if len(r.Tags) == 0 {
		r.Tags = nil
	}
	if len(r.Channels) == 0 {
		r.Channels = nil
	}
	if len(r.Attributes) == 0 {
		r.Attributes = nil
	}
	r.UpdatedAt = fromMicros(updated)
	return r, nil
}

// residentLists are the JSON texts of a resident's list columns.
type residentLists struct {
	tags, channels, attrs       string
	optOutChannels, optOutKinds string
}

// encodeResidentLists gives the JSON texts of r's lists and attributes;
// empty ones are "[]" and "{}", never "null".
func encodeResidentLists(r outreach.Resident) (residentLists, error) {
	var l residentLists
	attributes := r.Attributes
	if attributes == nil {
		attributes = map[string]string{}
	}
	for _, c := range []struct {
		name string
		v    any
		dst  *string
	}{
		{"tags", nonNil(r.Tags), &l.tags},
		{"channels", nonNil(r.Channels), &l.channels},
		{"attributes", attributes, &l.attrs},
		{"opt_out_channels", nonNil(r.OptOutChannels), &l.optOutChannels},
		{"opt_out_kinds", nonNil(r.OptOutKinds), &l.optOutKinds},
	} {
		b, err := json.Marshal(c.v)
		if err != nil {
			return l, fmt.Errorf("encode %s of %q: %w", c.name, r.ID, err)
		}
		*c.dst = string(b)
	}
	return l, nil
}

func nonNil[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return s
}
