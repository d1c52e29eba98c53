package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

// UpdateResident reads, changes and writes one resident in one write
// transaction. The write pool's BEGIN IMMEDIATE takes the database's write
// lock first, so no other writer, in this process or another, can change
// the resident between the read and the write.
func (s *Store) UpdateResident(ctx context.Context, id string, fn func(*outreach.Resident) error) (_ outreach.Resident, err error) {
	if !normalize.ValidText(id) {
		return outreach.Resident{}, fmt.Errorf("update resident %q: %w", id, outreach.ErrNotFound)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return outreach.Resident{}, fmt.Errorf("update resident %q: begin: %w", id, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	r, err := scanResident(tx.QueryRowContext(ctx, `SELECT `+residentColumns+` FROM residents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return outreach.Resident{}, fmt.Errorf("update resident %q: %w", id, outreach.ErrNotFound)
	}
	if err != nil {
		return outreach.Resident{}, fmt.Errorf("update resident %q: %w", id, err)
	}
	if err := fn(&r); err != nil {
		return outreach.Resident{}, fmt.Errorf("update resident %q: %w", id, err)
	}
	if r.ID != id {
		return outreach.Resident{}, fmt.Errorf("update resident %q: the id cannot change (to %q)", id, r.ID)
	}
	r.UpdatedAt = s.now()
	rs, err := normalize.Residents([]outreach.Resident{r}, s.now())
	if err != nil {
		return outreach.Resident{}, fmt.Errorf("update resident %q: %w", id, err)
	}
	r = rs[0]
	if err := checkEstates(ctx, tx, rs); err != nil {
		return outreach.Resident{}, fmt.Errorf("update resident %q: %w", id, err)
	}
	l, err := encodeResidentLists(r)
	if err != nil {
		return outreach.Resident{}, fmt.Errorf("update resident %q: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE residents SET
		name = ?, email = ?, phone = ?, locale = ?, building = ?, unit = ?,
		tags = ?, channels = ?, attributes = ?, updated_at = ?, time_zone = ?,
		opt_out_channels = ?, opt_out_kinds = ?, estate = ?
		WHERE id = ?`,
		r.Name, r.Email, r.Phone, r.Locale, r.Building, r.Unit, l.tags, l.channels, l.attrs,
		micros(r.UpdatedAt), r.TimeZone, l.optOutChannels, l.optOutKinds, r.Estate, id); err != nil {
		return outreach.Resident{}, fmt.Errorf("update resident %q: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return outreach.Resident{}, fmt.Errorf("update resident %q: commit: %w", id, err)
	}
	return r, nil
}

// SetOptOut adds or removes one opt-out in a single UPDATE statement. Every
// SET expression reads the row as it was before the statement, so the
// CASE on updated_at sees whether the value was there. The same write
// transaction reads that first, to append the history event when the
// opt-out changed.
func (s *Store) SetOptOut(ctx context.Context, residentID string, channel outreach.Channel, kind outreach.Kind, out bool) error {
	if err := outreach.CheckOptOut(channel, kind); err != nil {
		return fmt.Errorf("set opt-out of resident %q: %w", residentID, err)
	}
	if !normalize.ValidText(residentID) {
		return fmt.Errorf("set opt-out of resident %q: %w", residentID, outreach.ErrNotFound)
	}
	column, value := "opt_out_channels", string(channel)
	if kind != "" {
		column, value = "opt_out_kinds", string(kind)
	}
	present := `EXISTS (SELECT 1 FROM json_each(residents.` + column + `) WHERE value = ?1)`
	var query string
	if out {
		query = `UPDATE residents SET
			` + column + ` = (SELECT json_group_array(value ORDER BY value) FROM (
				SELECT value FROM json_each(residents.` + column + `) UNION SELECT ?1)),
			updated_at = CASE WHEN ` + present + ` THEN updated_at ELSE ?2 END
			WHERE id = ?3`
	} else {
		query = `UPDATE residents SET
			` + column + ` = (SELECT json_group_array(value ORDER BY value)
				FROM json_each(residents.` + column + `) WHERE value <> ?1),
			updated_at = CASE WHEN ` + present + ` THEN ?2 ELSE updated_at END
			WHERE id = ?3`
	}
	now := normalize.Time(s.now())
	tx, err := s.write.BeginTx(ctx, nil) // BEGIN IMMEDIATE: no writer comes between the read and the update
	if err != nil {
		return fmt.Errorf("set opt-out of resident %q: %w", residentID, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var was bool
	err = tx.QueryRowContext(ctx, `SELECT `+present+` FROM residents WHERE id = ?2`, value, residentID).Scan(&was)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("set opt-out of resident %q: %w", residentID, outreach.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("set opt-out of resident %q: %w", residentID, err)
	}
	if _, err := tx.ExecContext(ctx, query, value, micros(now), residentID); err != nil {
		return fmt.Errorf("set opt-out of resident %q: %w", residentID, err)
	}
	if was != out {
		if err := appendOptOutEvent(ctx, tx, residentID, channel, kind, out, now); err != nil {
			return fmt.Errorf("set opt-out of resident %q: event: %w", residentID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set opt-out of resident %q: commit: %w", residentID, err)
	}
	return nil
}
