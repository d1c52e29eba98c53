package normalize

import (
	"errors"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Token checks an API token before it is stored: an id, a valid name,
// known scopes, a hash; times in UTC to the microsecond, CreatedAt now
// when zero.
func Token(t outreach.Token, now time.Time) (outreach.Token, error) {
	switch {
	case t.ID == "":
		return t, errors.New("token: empty id")
	case t.Hash == "":
		return t, fmt.Errorf("token %q: empty hash", t.ID)
	case len(t.Scopes) == 0:
		return t, fmt.Errorf("token %q: no scopes", t.ID)
	}
	if err := outreach.CheckTokenName(t.Name); err != nil {
		return t, err
	}
	for _, s := range t.Scopes {
		if !s.Valid() {
			return t, fmt.Errorf("token %q: unknown scope %q", t.ID, s)
		}
	}
	if err := checkText(t.ID); err != nil {
		return t, fmt.Errorf("token: id: %w", err)
	}
	t.Scopes = set(t.Scopes)
	t.CreatedAt = orNow(t.CreatedAt, Time(now))
	t.LastUsedAt = timePtr(t.LastUsedAt)
	t.RevokedAt = timePtr(t.RevokedAt)
	return t, nil
}
