package outreach

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ConsoleRole is what a console user may do (see docs/console.md,
// "Roles").
type ConsoleRole string

// The roles of console users.
const (
	// RoleAdmin: everything, the console's accounts included.
	RoleAdmin ConsoleRole = "admin"
	// RoleManager: a property manager: residents, campaigns, templates and
	// the archive of their estates.
	RoleManager ConsoleRole = "manager"
	// RoleStaff: service-centre staff: residents and the archive, follow-up
	// notes and call-backs; no campaigns.
	RoleStaff ConsoleRole = "staff"
	// RoleAuditor: reads everything of their estates (the archive, the
	// audit log), changes nothing.
	RoleAuditor ConsoleRole = "auditor"
)

// ConsoleRoles lists every role, most powerful first.
var ConsoleRoles = []ConsoleRole{RoleAdmin, RoleManager, RoleStaff, RoleAuditor}

// Valid reports whether r is a known role.
func (r ConsoleRole) Valid() bool { return slices.Contains(ConsoleRoles, r) }

// ParseConsoleRole reads a role name.
func ParseConsoleRole(s string) (ConsoleRole, error) {
	r := ConsoleRole(strings.TrimSpace(s))
	if !r.Valid() {
		return "", fmt.Errorf("unknown role %q (want admin, manager, staff or auditor)", s)
	}
	return r, nil
}

// ConsoleUser is an account of the web console (package console): a person,
// never a service (services use API tokens).
type ConsoleUser struct {
	// ID is "usr_" and 12 hex digits.
	ID string `json:"id"`
	// Login is what the person signs in with: 1-64 lower-case letters,
	// digits, '.', '_', '-' and '@' (an e-mail address works); unique.
	Login string `json:"login"`
	// Name is shown in the console and the audit log ("李经理").
	Name string      `json:"name,omitempty"`
	Role ConsoleRole `json:"role"`
	// Estates limits the user to these estates (sorted ids), as
	// Token.Estates limits a token; empty: every estate.
	Estates []string `json:"estates,omitempty"`
	// PasswordHash is the bcrypt hash of the password (HashPassword).
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Sees reports whether the user may see records of estate ("" is the
// default estate), as Token.Sees.
func (u ConsoleUser) Sees(estate string) bool { return u.Token().Sees(estate) }

// Limited reports whether the user is limited to some estates.
func (u ConsoleUser) Limited() bool { return len(u.Estates) > 0 }

// Token is the user's estate limit as a Token's (no scopes), so that the
// code that limits tokens limits console users the same way.
func (u ConsoleUser) Token() Token { return Token{ID: u.ID, Name: u.Login, Estates: u.Estates} }

var consoleLogin = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)

// CheckConsoleLogin accepts logins of 1-64 lower-case letters, digits,
// '.', '_', '-' and '@', starting with a letter or digit, and not shaped
// like a user id ("usr_").
func CheckConsoleLogin(login string) error {
	if !consoleLogin.MatchString(login) || strings.HasPrefix(login, "usr_") {
		return fmt.Errorf("login %q: want 1-64 lower-case letters, digits, '.', '_', '-' or '@', starting with a letter or digit, not with \"usr_\"", login)
	}
	return nil
}

// MinPasswordLen is the shortest password accepted, in bytes.
const MinPasswordLen = 10

// maxPasswordLen is bcrypt's limit, in bytes (24 Chinese characters).
const maxPasswordLen = 72

// PasswordCost is the bcrypt cost of HashPassword (tests lower it).
var PasswordCost = 12

// HashPassword checks a new password (MinPasswordLen to 72 bytes: bcrypt
// reads no more) and hashes it with bcrypt.
func HashPassword(password string) (string, error) {
	switch {
	case len(password) < MinPasswordLen:
		return "", fmt.Errorf("the password is too short: at least %d characters", MinPasswordLen)
	case len(password) > maxPasswordLen:
		return "", fmt.Errorf("the password is too long: at most %d bytes (bcrypt reads no more)", maxPasswordLen)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when no user has the login, so that a
// wrong login takes as long as a wrong password.
var dummyHash = func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no such user, no such password"), bcrypt.MinCost)
	return h
}()

// CheckPassword reports whether password is the one hash was made from;
// an empty hash (no such user) is compared against a dummy, so that the
// time taken does not tell whether the login exists.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// NewConsoleUser makes a user to store: a fresh id, the login checked,
// the password hashed; times unset (the store sets them).
func NewConsoleUser(login, name string, role ConsoleRole, estates []string, password string) (ConsoleUser, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	if err := CheckConsoleLogin(login); err != nil {
		return ConsoleUser{}, err
	}
	if !role.Valid() {
		return ConsoleUser{}, fmt.Errorf("unknown role %q (want admin, manager, staff or auditor)", role)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return ConsoleUser{}, err
	}
	id, err := randomHex(6)
	if err != nil {
		return ConsoleUser{}, fmt.Errorf("new console user: %w", err)
	}
	return ConsoleUser{ID: "usr_" + id, Login: login, Name: strings.TrimSpace(name), Role: role, Estates: slices.Clone(estates), PasswordHash: hash}, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// ConsoleUserChange is what UpdateConsoleUser changes: the fields that are
// not nil.
type ConsoleUserChange struct {
	Name         *string
	Role         *ConsoleRole
	Estates      *[]string
	PasswordHash *string
	Disabled     *bool
}

// ConsoleSession is a signed-in browser, kept on the server: the cookie
// carries a random secret, the store only its hash.
type ConsoleSession struct {
	// Hash is the hex SHA-256 of the cookie's secret (HashToken).
	Hash   string
	UserID string
	// CSRF is the token every state-changing form of the session carries.
	CSRF string
	// Addr is the client address that signed in.
	Addr       string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// Expired reports whether the session is over at now: idle for longer than
// idle, or older than absolute.
func (s ConsoleSession) Expired(now time.Time, idle, absolute time.Duration) bool {
	return now.Sub(s.LastSeenAt) > idle || now.Sub(s.CreatedAt) > absolute
}

// AuditEntry is one line of the console's audit log: who did what, when.
type AuditEntry struct {
	// Seq orders the log; the store assigns it.
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	// Actor is the login of who did it ("cli" for the command line); for a
	// failed sign-in, the login that was tried.
	Actor string `json:"actor"`
	// Action is what happened: "login", "login_failed", "logout",
	// "user_add", "user_change", ...
	Action string `json:"action"`
	// Target is what it happened to (a user's login, a resident's id).
	Target string `json:"target,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Addr is the client's address (empty from the command line).
	Addr string `json:"addr,omitempty"`
}

// AuditFilter selects a page of the audit log.
type AuditFilter struct {
	Actor string
	// Before, when set, lists only entries with a smaller Seq (the next
	// page: the last Seq of the previous one).
	Before int64
	// Limit is the most entries returned; 0 means 100.
	Limit int
}

// ErrSessionGone is returned (wrapped) for a session that does not exist.
var ErrSessionGone = errors.New("no such session")

// ConsoleStore keeps the console's accounts, sessions and audit log.
// SQLite and PostgreSQL implement it with the same behaviour (see
// store/storetest).
type ConsoleStore interface {
	// CreateConsoleUser stores a new user; CreatedAt (and UpdatedAt) are
	// set to the time of the call when zero. An id or login in use wraps
	// ErrExists.
	CreateConsoleUser(ctx context.Context, u ConsoleUser) error
	// ConsoleUser returns the user whose ID or Login is idOrLogin; none
	// wraps ErrNotFound.
	ConsoleUser(ctx context.Context, idOrLogin string) (ConsoleUser, error)
	// ConsoleUsers lists every user, disabled ones included, by login.
	ConsoleUsers(ctx context.Context) ([]ConsoleUser, error)
	// UpdateConsoleUser applies ch to the user whose ID or Login is
	// idOrLogin and returns it; UpdatedAt is set to the time of the call.
	// A new password or disabling the user ends all of the user's
	// sessions, in the same transaction. None wraps ErrNotFound.
	UpdateConsoleUser(ctx context.Context, idOrLogin string, ch ConsoleUserChange) (ConsoleUser, error)

	// CreateConsoleSession stores a new session; a hash in use wraps
	// ErrExists, an unknown user ErrNotFound.
	CreateConsoleSession(ctx context.Context, s ConsoleSession) error
	// ConsoleSession returns the session with the hash, expired or not
	// (the caller checks Expired); none wraps ErrNotFound.
	ConsoleSession(ctx context.Context, hash string) (ConsoleSession, error)
	// TouchConsoleSession sets the session's LastSeenAt to at; none wraps
	// ErrNotFound.
	TouchConsoleSession(ctx context.Context, hash string, at time.Time) error
	// DeleteConsoleSession ends one session (logout); ending one that is
	// gone is not an error.
	DeleteConsoleSession(ctx context.Context, hash string) error
	// PruneConsoleSessions deletes the sessions last seen before idleBefore
	// or created before createdBefore and says how many.
	PruneConsoleSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error)

	// RecordAudit appends an entry to the audit log (At is the time of the
	// call when zero; Seq is assigned).
	RecordAudit(ctx context.Context, a AuditEntry) error
	// Audit returns a page of the audit log, newest first (Seq).
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}
