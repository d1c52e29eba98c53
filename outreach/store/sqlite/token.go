package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

const tokenColumns = `id, name, scopes, hash, created_at, last_used_at, revoked_at, estates`

// CreateToken stores a new API token; an id, name or hash in use wraps
// outreach.ErrExists.
func (s *Store) CreateToken(ctx context.Context, t outreach.Token) error {
	t, err := normalize.Token(t, s.now())
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	scopes, err := json.Marshal(t.Scopes)
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.Name, err)
	}
	estates, err := json.Marshal(nonNil(t.Estates))
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.Name, err)
	}
	res, err := s.write.ExecContext(ctx, `INSERT INTO api_tokens (`+tokenColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		t.ID, t.Name, string(scopes), t.Hash, micros(t.CreatedAt), nullMicros(t.LastUsedAt), nullMicros(t.RevokedAt), string(estates))
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("create token %q: %w", t.Name, err)
	} else if n == 0 {
		return fmt.Errorf("create token %q: id, name or secret in use: %w", t.Name, outreach.ErrExists)
	}
	return nil
}

// TokenByHash returns the token with the hash; none wraps
// outreach.ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash string) (outreach.Token, error) {
	t, err := scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("get token: %w", outreach.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("get token: %w", err)
	}
	return t, nil
}

// Tokens lists every token, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]outreach.Token, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []outreach.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes the token with the id or name, keeping the first
// revocation time; an unknown one wraps outreach.ErrNotFound.
func (s *Store) RevokeToken(ctx context.Context, idOrName string) (outreach.Token, error) {
	t, err := scanToken(s.write.QueryRowContext(ctx, `UPDATE api_tokens
		SET revoked_at = COALESCE(revoked_at, ?)
		WHERE id = ? OR name = ?
		RETURNING `+tokenColumns, micros(normalize.Time(s.now())), idOrName, idOrName))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("revoke token %q: %w", idOrName, outreach.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("revoke token %q: %w", idOrName, err)
	}
	return t, nil
}

// TouchToken records when the token was last used; an unknown id wraps
// outreach.ErrNotFound.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	res, err := s.write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, micros(normalize.Time(at)), id)
	if err != nil {
		return fmt.Errorf("touch token %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("touch token %q: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("touch token %q: %w", id, outreach.ErrNotFound)
	}
	return nil
}

func scanToken(row interface{ Scan(...any) error }) (outreach.Token, error) {
	var (
		t                 outreach.Token
		scopes, estates   string
		created           int64
		lastUsed, revoked sql.NullInt64
	)
	if err := row.Scan(&t.ID, &t.Name, &scopes, &t.Hash, &created, &lastUsed, &revoked, &estates); err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return t, fmt.Errorf("token %q: scopes: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(estates), &t.Estates); err != nil {
		return t, fmt.Errorf("token %q: estates: %w", t.ID, err)
	}
	if len(t.Estates) == 0 {
		t.Estates = nil
	}
	t.CreatedAt = fromMicros(created)
	t.LastUsedAt = fromNullMicros(lastUsed)
	t.RevokedAt = fromNullMicros(revoked)
	return t, nil
}
