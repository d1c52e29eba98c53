// Package store opens the store that OUTREACH_DATABASE_URL names: the
// embedded SQLite file (package sqlite) or a PostgreSQL database (package
// postgres). Both implement outreach.Store with the same behaviour.
package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/postgres"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
)

// envVar is the setting whose value Open takes; errors name it so that an
// operator knows what to fix.
const envVar = "OUTREACH_DATABASE_URL"

// accepted lists the URL forms, for error messages.
const accepted = "sqlite:///absolute/path.db, sqlite://relative/path.db, sqlite::memory: or postgres://user:password@host:5432/db"

// Open opens the store at databaseURL, the value of OUTREACH_DATABASE_URL:
//
//	sqlite:///var/lib/outreach.db   the file /var/lib/outreach.db
//	sqlite://outreach.db            the file outreach.db, relative to the working directory
//	sqlite://data/outreach.db       the file data/outreach.db, relative too
//	sqlite::memory:                 a private in-memory database (also sqlite://:memory:)
//	postgres://... postgresql://...  PostgreSQL, the URL passed to pgx as is
//	                                (?search_path=, ?pool_max_conns=, ?sslmode= ...)
//
// A sqlite URL's host and path together are the file's path: with an empty
// host (three slashes) it is absolute, otherwise relative, so
// sqlite://localhost/x.db is the relative path localhost/x.db. Percent
// escapes are decoded (sqlite:///tmp/my%20db.db is "/tmp/my db.db"). A
// sqlite URL takes no user, query or fragment.
//
// Errors name OUTREACH_DATABASE_URL and never repeat the URL, which may hold
// a password.
func Open(ctx context.Context, databaseURL string) (outreach.Store, error) {
	t, err := parse(databaseURL)
	if err != nil {
		return nil, err
	}
	switch t.driver {
	case driverSQLite:
		s, err := sqlite.Open(ctx, t.path)
		if err != nil {
			return nil, fmt.Errorf("open the store of %s: %w", envVar, err)
		}
		return s, nil
	default:
		s, err := postgres.Open(ctx, databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open the store of %s: %w", envVar, err)
		}
		return s, nil
	}
}

type driver string

const (
	driverSQLite   driver = "sqlite"
	driverPostgres driver = "postgres"
)

// target is what a database URL points at.
type target struct {
	driver driver
	path   string // the SQLite file, or sqlite.Memory
}

// parse reads a database URL; see Open for the forms.
func parse(raw string) (target, error) {
	if raw == "" {
		return target{}, fmt.Errorf("%s is empty; want %s", envVar, accepted)
	}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return target{}, fmt.Errorf("%s has no scheme; want %s", envVar, accepted)
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		// pgx parses it again; this only catches what it would report
		// with the URL in the message.
		if _, err := url.Parse(raw); err != nil {
			return target{}, malformed(err)
		}
		return target{driver: driverPostgres}, nil
	case "sqlite":
		if rest == sqlite.Memory || rest == "//"+sqlite.Memory {
			return target{driver: driverSQLite, path: sqlite.Memory}, nil
		}
		return parseSQLite(raw)
	default:
		return target{}, fmt.Errorf("%s has the unknown scheme %q; want %s", envVar, scheme, accepted)
	}
}

func parseSQLite(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, malformed(err)
	}
	switch {
	case u.Opaque != "":
		return target{}, fmt.Errorf("%s: a sqlite URL needs // after the scheme; want sqlite:///absolute/path.db or sqlite://relative/path.db", envVar)
	case u.User != nil:
		return target{}, fmt.Errorf("%s: a sqlite URL takes no user or password", envVar)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return target{}, fmt.Errorf("%s: a sqlite URL takes no query parameters or fragment", envVar)
	case u.Host+u.Path == "":
		return target{}, fmt.Errorf("%s: the sqlite URL names no file; want %s", envVar, accepted)
	case strings.HasSuffix(u.Path, "/") || (u.Path == "" && strings.HasSuffix(u.Host, "/")):
		return target{}, fmt.Errorf("%s: the sqlite URL names a directory, not a file", envVar)
	}
	return target{driver: driverSQLite, path: filepath.Clean(u.Host + u.Path)}, nil
}

// malformed reports a URL that does not parse without the URL itself:
// url.Error's message would repeat it, password and all.
func malformed(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s is not a valid URL: %w", envVar, err)
}
