package normalize

import (
	"errors"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// ConsoleUser checks a console user before it is stored: an id, a valid
// login and role, a password hash, known-shaped estates; times in UTC to
// the microsecond, both now when CreatedAt is zero.
func ConsoleUser(u outreach.ConsoleUser, now time.Time) (outreach.ConsoleUser, error) {
	switch {
	case u.ID == "":
		return u, errors.New("console user: empty id")
	case u.PasswordHash == "":
		return u, fmt.Errorf("console user %q: empty password hash", u.ID)
	case !u.Role.Valid():
		return u, fmt.Errorf("console user %q: unknown role %q", u.ID, u.Role)
	}
	if err := outreach.CheckConsoleLogin(u.Login); err != nil {
		return u, fmt.Errorf("console user %q: %w", u.ID, err)
	}
	for _, f := range []field{{"id", u.ID}, {"name", u.Name}} {
		if err := checkText(f.value); err != nil {
			return u, fmt.Errorf("console user %q: field %s: %w", u.ID, f.name, err)
		}
	}
	for _, e := range u.Estates {
		if err := outreach.CheckEstateID(e); err != nil {
			return u, fmt.Errorf("console user %q: estates: %w", u.ID, err)
		}
	}
	u.Estates = nilIfEmpty(set(u.Estates))
	now = Time(now)
	if u.CreatedAt.IsZero() {
		u.CreatedAt, u.UpdatedAt = now, now
	} else {
		u.CreatedAt = Time(u.CreatedAt)
		u.UpdatedAt = Time(orNow(u.UpdatedAt, u.CreatedAt))
	}
	return u, nil
}

// ApplyConsoleUserChange applies ch to u, checked as ConsoleUser checks a
// new user; UpdatedAt becomes now. It says whether the user's sessions
// must end (a new password, or disabled).
func ApplyConsoleUserChange(u outreach.ConsoleUser, ch outreach.ConsoleUserChange, now time.Time) (outreach.ConsoleUser, bool, error) {
	endSessions := false
	if ch.Name != nil {
		u.Name = *ch.Name
	}
	if ch.Role != nil {
		u.Role = *ch.Role
	}
	if ch.Estates != nil {
		u.Estates = append([]string(nil), (*ch.Estates)...)
	}
	if ch.PasswordHash != nil {
		u.PasswordHash = *ch.PasswordHash
		endSessions = true
	}
	if ch.Disabled != nil {
		u.Disabled = *ch.Disabled
		endSessions = endSessions || u.Disabled
	}
	u.UpdatedAt = Time(now)
	u, err := ConsoleUser(u, now)
	return u, endSessions, err
}

// ConsoleSession checks a session before it is stored.
func ConsoleSession(s outreach.ConsoleSession, now time.Time) (outreach.ConsoleSession, error) {
	switch {
	case s.Hash == "":
		return s, errors.New("console session: empty hash")
	case s.UserID == "":
		return s, errors.New("console session: empty user id")
	case s.CSRF == "":
		return s, errors.New("console session: empty CSRF token")
	}
	for _, v := range []string{s.Hash, s.UserID, s.CSRF, s.Addr} {
		if err := checkText(v); err != nil {
			return s, fmt.Errorf("console session: %w", err)
		}
	}
	s.CreatedAt = Time(orNow(s.CreatedAt, now))
	s.LastSeenAt = Time(orNow(s.LastSeenAt, s.CreatedAt))
	return s, nil
}

// AuditEntry checks an audit entry before it is stored: an actor and an
// action, valid text; At now when zero.
func AuditEntry(a outreach.AuditEntry, now time.Time) (outreach.AuditEntry, error) {
	if a.Actor == "" || a.Action == "" {
		return a, errors.New("audit entry: empty actor or action")
	}
	for _, v := range []string{a.Actor, a.Action, a.Target, a.Detail, a.Addr} {
		if err := checkText(v); err != nil {
			return a, fmt.Errorf("audit entry: %w", err)
		}
	}
	a.At = Time(orNow(a.At, now))
	return a, nil
}

// AuditLimit is f.Limit bounded: 100 when 0, at most 1000.
func AuditLimit(f outreach.AuditFilter) int {
	switch {
	case f.Limit <= 0:
		return 100
	case f.Limit > 1000:
		return 1000
	}
	return f.Limit
}
