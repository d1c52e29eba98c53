package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

const consoleUserColumns = `id, login, name, role, estates, password_hash, disabled, created_at, updated_at`

// CreateConsoleUser stores a new console user; an id or login in use wraps
// outreach.ErrExists.
func (s *Store) CreateConsoleUser(ctx context.Context, u outreach.ConsoleUser) error {
	u, err := normalize.ConsoleUser(u, s.now())
	if err != nil {
		return fmt.Errorf("create console user: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO console_users (`+consoleUserColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		u.ID, u.Login, u.Name, string(u.Role), nonNil(u.Estates), u.PasswordHash, u.Disabled, u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return fmt.Errorf("create console user %q: %w", u.Login, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create console user %q: id or login in use: %w", u.Login, outreach.ErrExists)
	}
	return nil
}

// ConsoleUser returns the user with the id or login; none wraps
// outreach.ErrNotFound.
func (s *Store) ConsoleUser(ctx context.Context, idOrLogin string) (outreach.ConsoleUser, error) {
	u, err := scanConsoleUser(s.pool.QueryRow(ctx, `SELECT `+consoleUserColumns+` FROM console_users WHERE id = $1 OR login = $1`, idOrLogin))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("get console user %q: %w", idOrLogin, outreach.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("get console user %q: %w", idOrLogin, err)
	}
	return u, nil
}

// ConsoleUsers lists every console user by login.
func (s *Store) ConsoleUsers(ctx context.Context) ([]outreach.ConsoleUser, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+consoleUserColumns+` FROM console_users ORDER BY login`)
	if err != nil {
		return nil, fmt.Errorf("list console users: %w", err)
	}
	defer rows.Close()
	var out []outreach.ConsoleUser
	for rows.Next() {
		u, err := scanConsoleUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list console users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list console users: %w", err)
	}
	return out, nil
}

// UpdateConsoleUser changes a user in one transaction (the row locked),
// ending its sessions when the password changes or it is disabled.
func (s *Store) UpdateConsoleUser(ctx context.Context, idOrLogin string, ch outreach.ConsoleUserChange) (_ outreach.ConsoleUser, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return outreach.ConsoleUser{}, fmt.Errorf("update console user %q: %w", idOrLogin, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback(ctx)
		}
	}()
	u, err := scanConsoleUser(tx.QueryRow(ctx, `SELECT `+consoleUserColumns+` FROM console_users WHERE id = $1 OR login = $1 FOR UPDATE`, idOrLogin))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("update console user %q: %w", idOrLogin, outreach.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("update console user %q: %w", idOrLogin, err)
	}
	u, endSessions, err := normalize.ApplyConsoleUserChange(u, ch, s.now())
	if err != nil {
		return u, fmt.Errorf("update console user %q: %w", idOrLogin, err)
	}
	if _, err = tx.Exec(ctx, `UPDATE console_users SET name = $1, role = $2, estates = $3, password_hash = $4, disabled = $5, updated_at = $6 WHERE id = $7`,
		u.Name, string(u.Role), nonNil(u.Estates), u.PasswordHash, u.Disabled, u.UpdatedAt, u.ID); err != nil {
		return u, fmt.Errorf("update console user %q: %w", idOrLogin, err)
	}
	if endSessions {
		if _, err = tx.Exec(ctx, `DELETE FROM console_sessions WHERE user_id = $1`, u.ID); err != nil {
			return u, fmt.Errorf("update console user %q: end sessions: %w", idOrLogin, err)
		}
	}
	if err = tx.Commit(ctx); err != nil {
		return u, fmt.Errorf("update console user %q: %w", idOrLogin, err)
	}
	return u, nil
}

func scanConsoleUser(row pgx.Row) (outreach.ConsoleUser, error) {
	var (
		u    outreach.ConsoleUser
		role string
	)
	if err := row.Scan(&u.ID, &u.Login, &u.Name, &role, &u.Estates, &u.PasswordHash, &u.Disabled, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return u, err
	}
	u.Role = outreach.ConsoleRole(role)
	if len(u.Estates) == 0 {
		u.Estates = nil
	}
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, nil
}

const consoleSessionColumns = `hash, user_id, csrf, addr, created_at, last_seen_at`

// CreateConsoleSession stores a session of an existing user.
func (s *Store) CreateConsoleSession(ctx context.Context, cs outreach.ConsoleSession) error {
	cs, err := normalize.ConsoleSession(cs, s.now())
	if err != nil {
		return fmt.Errorf("create console session: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO console_sessions (`+consoleSessionColumns+`)
		SELECT $1, id, $2, $3, $4, $5 FROM console_users WHERE id = $6 ON CONFLICT DO NOTHING`,
		cs.Hash, cs.CSRF, cs.Addr, cs.CreatedAt, cs.LastSeenAt, cs.UserID)
	if err != nil {
		return fmt.Errorf("create console session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.ConsoleSession(ctx, cs.Hash); err == nil {
			return fmt.Errorf("create console session: hash in use: %w", outreach.ErrExists)
		}
		return fmt.Errorf("create console session: user %q: %w", cs.UserID, outreach.ErrNotFound)
	}
	return nil
}

// ConsoleSession returns the session with the hash; none wraps
// outreach.ErrNotFound.
func (s *Store) ConsoleSession(ctx context.Context, hash string) (outreach.ConsoleSession, error) {
	var cs outreach.ConsoleSession
	err := s.pool.QueryRow(ctx, `SELECT `+consoleSessionColumns+` FROM console_sessions WHERE hash = $1`, hash).
		Scan(&cs.Hash, &cs.UserID, &cs.CSRF, &cs.Addr, &cs.CreatedAt, &cs.LastSeenAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return cs, fmt.Errorf("get console session: %w", outreach.ErrNotFound)
	}
	if err != nil {
		return cs, fmt.Errorf("get console session: %w", err)
	}
	cs.CreatedAt, cs.LastSeenAt = cs.CreatedAt.UTC(), cs.LastSeenAt.UTC()
	return cs, nil
}

// TouchConsoleSession records when the session was last used.
func (s *Store) TouchConsoleSession(ctx context.Context, hash string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE console_sessions SET last_seen_at = $1 WHERE hash = $2`, normalize.Time(at), hash)
	if err != nil {
		return fmt.Errorf("touch console session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("touch console session: %w", outreach.ErrNotFound)
	}
	return nil
}

// DeleteConsoleSession ends a session.
func (s *Store) DeleteConsoleSession(ctx context.Context, hash string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE hash = $1`, hash); err != nil {
		return fmt.Errorf("delete console session: %w", err)
	}
	return nil
}

// PruneConsoleSessions deletes idle and old sessions.
func (s *Store) PruneConsoleSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE last_seen_at < $1 OR created_at < $2`,
		normalize.Time(idleBefore), normalize.Time(createdBefore))
	if err != nil {
		return 0, fmt.Errorf("prune console sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// RecordAudit appends to the audit log.
func (s *Store) RecordAudit(ctx context.Context, a outreach.AuditEntry) error {
	a, err := normalize.AuditEntry(a, s.now())
	if err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO audit_log (at, actor, action, target, detail, addr) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.At, a.Actor, a.Action, a.Target, a.Detail, a.Addr); err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	return nil
}

// Audit returns a page of the audit log, newest first.
func (s *Store) Audit(ctx context.Context, f outreach.AuditFilter) ([]outreach.AuditEntry, error) {
	before := f.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, at, actor, action, target, detail, addr FROM audit_log
		WHERE seq < $1 AND ($2 = '' OR actor = $2) ORDER BY seq DESC LIMIT $3`, before, f.Actor, normalize.AuditLimit(f))
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var out []outreach.AuditEntry
	for rows.Next() {
		var a outreach.AuditEntry
		if err := rows.Scan(&a.Seq, &a.At, &a.Actor, &a.Action, &a.Target, &a.Detail, &a.Addr); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		a.At = a.At.UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}
