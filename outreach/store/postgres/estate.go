package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

const estateColumns = `id, name, company, service_phone, office_hours, emergency_phone, address,
	sms_signature, email_from_name, reply_to, time_zone, locale, quiet_hours, created_at, updated_at, survey_fatigue, case_limits`

func estateArgs(e outreach.Estate) []any {
	return []any{e.ID, e.Name, e.Company, e.ServicePhone, e.OfficeHours, e.EmergencyPhone, e.Address,
		e.SMSSignature, e.EmailFromName, e.ReplyTo, e.TimeZone, e.Locale, e.QuietHours,
		e.CreatedAt, e.UpdatedAt, e.SurveyFatigue, e.CaseLimits}
}

func scanEstate(row pgx.Row) (outreach.Estate, error) {
	var e outreach.Estate
	err := row.Scan(&e.ID, &e.Name, &e.Company, &e.ServicePhone, &e.OfficeHours, &e.EmergencyPhone, &e.Address,
		&e.SMSSignature, &e.EmailFromName, &e.ReplyTo, &e.TimeZone, &e.Locale, &e.QuietHours, &e.CreatedAt, &e.UpdatedAt, &e.SurveyFatigue, &e.CaseLimits)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
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
	tag, err := s.pool.Exec(ctx, `INSERT INTO estates (`+estateColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT DO NOTHING`, estateArgs(e)...)
	if err != nil {
		return fmt.Errorf("create estate %q: %w", e.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create estate %q: %w", e.ID, outreach.ErrExists)
	}
	return nil
}

// Estate returns one estate; an unknown id wraps outreach.ErrNotFound.
func (s *Store) Estate(ctx context.Context, id string) (outreach.Estate, error) {
	if !normalize.ValidText(id) {
		return outreach.Estate{}, fmt.Errorf("get estate %q: %w", id, outreach.ErrNotFound)
	}
	e, err := scanEstate(s.pool.QueryRow(ctx, `SELECT `+estateColumns+` FROM estates WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("get estate %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("get estate %q: %w", id, err)
	}
	return e, nil
}

// Estates lists every estate, ordered by id.
func (s *Store) Estates(ctx context.Context) ([]outreach.Estate, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+estateColumns+` FROM estates ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list estates: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (outreach.Estate, error) { return scanEstate(row) })
	if err != nil {
		return nil, fmt.Errorf("list estates: %w", err)
	}
	return out, nil
}

// UpdateEstate reads (FOR UPDATE), changes and writes one estate in one
// transaction.
func (s *Store) UpdateEstate(ctx context.Context, id string, fn func(*outreach.Estate) error) (outreach.Estate, error) {
	if !normalize.ValidText(id) {
		return outreach.Estate{}, fmt.Errorf("update estate %q: %w", id, outreach.ErrNotFound)
	}
	var e outreach.Estate
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		e, err = scanEstate(tx.QueryRow(ctx, `SELECT `+estateColumns+` FROM estates WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return outreach.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := fn(&e); err != nil {
			return err
		}
		if e.ID != id {
			return fmt.Errorf("the id cannot change (to %q)", e.ID)
		}
		if e, err = normalize.Estate(e, s.now()); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE estates SET name = $2, company = $3, service_phone = $4,
			office_hours = $5, emergency_phone = $6, address = $7, sms_signature = $8, email_from_name = $9,
			reply_to = $10, time_zone = $11, locale = $12, quiet_hours = $13, created_at = $14, updated_at = $15, survey_fatigue = $16, case_limits = $17
			WHERE id = $1`, estateArgs(e)...)
		return err
	})
	if err != nil {
		return outreach.Estate{}, fmt.Errorf("update estate %q: %w", id, err)
	}
	return e, nil
}

// DeleteEstate removes an estate no resident belongs to (the foreign key
// from residents also holds it).
func (s *Store) DeleteEstate(ctx context.Context, id string) error {
	if id == outreach.DefaultEstateID {
		return fmt.Errorf("delete estate %q: the default estate stays: %w", id, outreach.ErrInUse)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM residents WHERE estate = $1`, id).Scan(&n); err != nil {
			return fmt.Errorf("delete estate %q: %w", id, err)
		}
		if n > 0 {
			return fmt.Errorf("delete estate %q: %d residents belong to it: %w", id, n, outreach.ErrInUse)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL AND $1 = ANY(estates)`, id).Scan(&n); err != nil {
			return fmt.Errorf("delete estate %q: %w", id, err)
		}
		if n > 0 {
			return fmt.Errorf("delete estate %q: %d active tokens are limited to it (revoke them first): %w", id, n, outreach.ErrInUse)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM estates WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete estate %q: %w", id, residentFKError(err))
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("delete estate %q: %w", id, outreach.ErrNotFound)
		}
		return nil
	})
}

// residentFKError is ErrInUse when a resident written since the count
// holds the estate (the foreign key), else err.
func residentFKError(err error) error {
	var pgErr interface{ SQLState() string }
	if errors.As(err, &pgErr) && pgErr.SQLState() == "23503" {
		return fmt.Errorf("residents belong to it: %w", outreach.ErrInUse)
	}
	return err
}
