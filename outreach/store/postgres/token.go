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

const tokenColumns = `id, name, scopes, hash, created_at, last_used_at, revoked_at, estates`

// CreateToken stores a new API token; an id, name or hash in use wraps
// outreach.ErrExists.
func (s *Store) CreateToken(ctx context.Context, t outreach.Token) error {
	t, err := normalize.Token(t, s.now())
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO api_tokens (`+tokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		t.ID, t.Name, scopeStrings(t.Scopes), t.Hash, t.CreatedAt, t.LastUsedAt, t.RevokedAt, nonNil(t.Estates))
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.Name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create token %q: id, name or secret in use: %w", t.Name, outreach.ErrExists)
	}
	return nil
}

// TokenByHash returns the token with the hash; none wraps
// outreach.ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash string) (outreach.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("get token: %w", outreach.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("get token: %w", err)
	}
	return t, nil
}

// Tokens lists every token, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]outreach.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at, id`)
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
	t, err := scanToken(s.pool.QueryRow(ctx, `UPDATE api_tokens
		SET revoked_at = COALESCE(revoked_at, $1)
		WHERE id = $2 OR name = $2
		RETURNING `+tokenColumns, normalize.Time(s.now()), idOrName))
	if errors.Is(err, pgx.ErrNoRows) {
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
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, normalize.Time(at), id)
	if err != nil {
		return fmt.Errorf("touch token %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("touch token %q: %w", id, outreach.ErrNotFound)
	}
	return nil
}

func scopeStrings(scopes []outreach.Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return out
}

func scanToken(row pgx.Row) (outreach.Token, error) {
	var (
		t      outreach.Token
		scopes []string
	)
	if err := row.Scan(&t.ID, &t.Name, &scopes, &t.Hash, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt, &t.Estates); err != nil {
		return t, err
	}
	for _, s := range scopes {
		t.Scopes = append(t.Scopes, outreach.Scope(s))
	}
	if len(t.Estates) == 0 {
		t.Estates = nil
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.LastUsedAt = utcPtr(t.LastUsedAt)
	t.RevokedAt = utcPtr(t.RevokedAt)
	return t, nil
}
