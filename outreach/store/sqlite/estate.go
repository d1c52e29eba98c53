package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

const estateColumns = `id, name, company, service_phone, office_hours, emergency_phone, address,
	sms_signature, email_from_name, reply_to, time_zone, locale, quiet_hours, created_at, updated_at, survey_fatigue, case_limits`

func estateArgs(e outreach.Estate) []any {
	return []any{e.ID, e.Name, e.Company, e.ServicePhone, e.OfficeHours, e.EmergencyPhone, e.Address,
		e.SMSSignature, e.EmailFromName, e.ReplyTo, e.TimeZone, e.Locale, e.QuietHours,
		micros(e.CreatedAt), micros(e.UpdatedAt), e.SurveyFatigue, e.CaseLimits}
}

func scanEstate(row interface{ Scan(...any) error }) (outreach.Estate, error) {
	var (
		e                outreach.Estate
		created, updated int64
	)
	err := row.Scan(&e.ID, &e.Name, &e.Company, &e.ServicePhone, &e.OfficeHours, &e.EmergencyPhone, &e.Address,
		&e.SMSSignature, &e.EmailFromName, &e.ReplyTo, &e.TimeZone, &e.Locale, &e.QuietHours, &created, &updated, &e.SurveyFatigue, &e.CaseLimits)
	e.CreatedAt, e.UpdatedAt = fromMicros(created), fromMicros(updated)
	return e, err
}

// CreateEstate stores a new estate; an id in use wraps outreach.ErrExists.
func (s *Store) CreateEstate(ctx context.Context, e outreach.Estate) error {
	now := s.now() // one clock reading: a new estate's CreatedAt and UpdatedAt are equal
	e.CreatedAt = now
	e, err := normalize.Estate(e, now)
	if err != nil {
		return fmt.Errorf("create estate: %w", err)
	}
	res, err := s.write.ExecContext(ctx, `INSERT INTO estates (`+estateColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, estateArgs(e)...)
	if err != nil {
		return fmt.Errorf("create estate %q: %w", e.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("create estate %q: %w", e.ID, err)
	} else if n == 0 {
		return fmt.Errorf("create estate %q: %w", e.ID, outreach.ErrExists)
	}
	return nil
}

// Estate returns one estate; an unknown id wraps outreach.ErrNotFound.
func (s *Store) Estate(ctx context.Context, id string) (outreach.Estate, error) {
	e, err := scanEstate(s.read.QueryRowContext(ctx, `SELECT `+estateColumns+` FROM estates WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("get estate %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("get estate %q: %w", id, err)
	}
	return e, nil
}

// Estates lists every estate, ordered by id.
func (s *Store) Estates(ctx context.Context) ([]outreach.Estate, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+estateColumns+` FROM estates ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list estates: %w", err)
	}
	defer rows.Close()
	var out []outreach.Estate
	for rows.Next() {
		e, err := scanEstate(rows)
		if err != nil {
			return nil, fmt.Errorf("list estates: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list estates: %w", err)
	}
	return out, nil
}

// UpdateEstate reads, changes and writes one estate in one write
// transaction (BEGIN IMMEDIATE: no writer interleaves).
func (s *Store) UpdateEstate(ctx context.Context, id string, fn func(*outreach.Estate) error) (_ outreach.Estate, err error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return outreach.Estate{}, fmt.Errorf("update estate %q: begin: %w", id, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	e, err := scanEstate(tx.QueryRowContext(ctx, `SELECT `+estateColumns+` FROM estates WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return outreach.Estate{}, fmt.Errorf("update estate %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return outreach.Estate{}, fmt.Errorf("update estate %q: %w", id, err)
	}
	if err := fn(&e); err != nil {
		return outreach.Estate{}, fmt.Errorf("update estate %q: %w", id, err)
	}
	if e.ID != id {
		return outreach.Estate{}, fmt.Errorf("update estate %q: the id cannot change (to %q)", id, e.ID)
	}
	if e, err = normalize.Estate(e, s.now()); err != nil {
		return outreach.Estate{}, fmt.Errorf("update estate: %w", err)
	}
	args := append(estateArgs(e)[1:], id)
	if _, err := tx.ExecContext(ctx, `UPDATE estates SET name = ?, company = ?, service_phone = ?,
		office_hours = ?, emergency_phone = ?, address = ?, sms_signature = ?, email_from_name = ?,
		reply_to = ?, time_zone = ?, locale = ?, quiet_hours = ?, created_at = ?, updated_at = ?, survey_fatigue = ?, case_limits = ?
		WHERE id = ?`, args...); err != nil {
		return outreach.Estate{}, fmt.Errorf("update estate %q: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return outreach.Estate{}, fmt.Errorf("update estate %q: commit: %w", id, err)
	}
	return e, nil
}

// DeleteEstate removes an estate no resident belongs to.
func (s *Store) DeleteEstate(ctx context.Context, id string) (err error) {
	if id == outreach.DefaultEstateID {
		return fmt.Errorf("delete estate %q: the default estate stays: %w", id, outreach.ErrInUse)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete estate %q: begin: %w", id, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM residents WHERE estate = ?`, id).Scan(&n); err != nil {
		return fmt.Errorf("delete estate %q: %w", id, err)
	}
	if n > 0 {
		return fmt.Errorf("delete estate %q: %d residents belong to it: %w", id, n, outreach.ErrInUse)
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens, json_each(api_tokens.estates)
		WHERE api_tokens.revoked_at IS NULL AND json_each.value = ?`, id).Scan(&n); err != nil {
		return fmt.Errorf("delete estate %q: %w", id, err)
	}
	if n > 0 {
		return fmt.Errorf("delete estate %q: %d active tokens are limited to it (revoke them first): %w", id, n, outreach.ErrInUse)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM estates WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete estate %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete estate %q: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("delete estate %q: %w", id, outreach.ErrNotFound)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete estate %q: commit: %w", id, err)
	}
	return nil
}

// checkEstates makes sure every resident's estate exists, inside the
// writing transaction (an estate cannot be deleted under it).
func checkEstates(ctx context.Context, tx *sql.Tx, rs []outreach.Resident) error {
	var known []string
	for _, r := range rs {
		if slices.Contains(known, r.Estate) {
			continue
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM estates WHERE id = ?`, r.Estate).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("resident %q: estate %q: %w", r.ID, r.Estate, outreach.ErrUnknownEstate)
		}
		if err != nil {
			return fmt.Errorf("resident %q: estate %q: %w", r.ID, r.Estate, err)
		}
		known = append(known, r.Estate)
	}
	return nil
}
