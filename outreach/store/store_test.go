package store

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want target
	}{
		{"sqlite:///tmp/x.db", target{driverSQLite, "/tmp/x.db"}},
		{"sqlite://outreach.db", target{driverSQLite, "outreach.db"}},
		{"sqlite://data/outreach.db", target{driverSQLite, "data/outreach.db"}},
		{"sqlite://localhost/x.db", target{driverSQLite, "localhost/x.db"}},
		{"sqlite:///var/lib/outreach/outreach.db", target{driverSQLite, "/var/lib/outreach/outreach.db"}},
		{"sqlite:////tmp//x.db", target{driverSQLite, "/tmp/x.db"}},
		{"sqlite:///tmp/my%20db.db", target{driverSQLite, "/tmp/my db.db"}},
		{"sqlite:///tmp/%E4%B8%AD.db", target{driverSQLite, "/tmp/中.db"}},
		{"SQLite:///tmp/x.db", target{driverSQLite, "/tmp/x.db"}},
		{"sqlite::memory:", target{driverSQLite, ":memory:"}},
		{"sqlite://:memory:", target{driverSQLite, ":memory:"}},
		{"postgres://outreach:pw@db.internal:5432/outreach?sslmode=require", target{driver: driverPostgres}},
		{"postgresql://localhost/outreach?search_path=archive", target{driver: driverPostgres}},
		{"postgres:///outreach?host=/run/postgresql", target{driver: driverPostgres}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			got, err := parse(tt.url)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got != tt.want {
				t.Errorf("parse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, want string
	}{
		{"empty", "", "is empty"},
		{"no scheme", "outreach.db", "has no scheme"},
		{"unknown scheme", "mysql://root:s3cret-pw@db/outreach", `unknown scheme "mysql"`},
		{"a file path", "/var/lib/outreach.db", "has no scheme"},
		{"sqlite without //", "sqlite:outreach.db", "needs //"},
		{"sqlite without a path", "sqlite://", "names no file"},
		{"sqlite directory", "sqlite:///var/lib/", "names a directory"},
		{"sqlite root", "sqlite:///", "names a directory"},
		{"sqlite with a user", "sqlite://admin:s3cret-pw@host/x.db", "no user or password"},
		{"sqlite with a query", "sqlite:///tmp/x.db?mode=ro", "no query parameters"},
		{"sqlite with a fragment", "sqlite:///tmp/x.db#a", "no query parameters"},
		{"bad escape", "sqlite:///tmp/%zz.db", "not a valid URL"},
		{"postgres bad port", "postgres://u:s3cret-pw@host:port/db", "not a valid URL"},
		{"postgres control character", "postgres://u:s3cret-pw@host/db\n", "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parse(tt.url)
			if err == nil {
				t.Fatalf("parse(%q) = %+v, want an error", tt.url, got)
			}
			msg := err.Error()
			if !strings.Contains(msg, "OUTREACH_DATABASE_URL") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not name OUTREACH_DATABASE_URL and say %q", msg, tt.want)
			}
			if strings.Contains(msg, "s3cret-pw") {
				t.Errorf("error %q shows the password", msg)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite file", func(t *testing.T) string {
			return "sqlite://" + filepath.Join(t.TempDir(), "outreach.db")
		}},
		{"sqlite in memory", func(*testing.T) string { return "sqlite::memory:" }},
		{"postgres", postgresURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(t.Context(), tt.url(t))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if _, err := s.UpsertResidents(t.Context(), []outreach.Resident{{ID: "r1"}}); err != nil {
				t.Fatalf("UpsertResidents: %v", err)
			}
			if _, err := s.Resident(t.Context(), "r1"); err != nil {
				t.Errorf("Resident: %v", err)
			}
		})
	}
}

func TestOpenSQLiteFileAtThePath(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "archive.db")
	s, err := Open(t.Context(), "sqlite://"+path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("no database file where the URL says: %v", err)
	}
}

func TestOpenErrorNamesTheSetting(t *testing.T) {
	t.Parallel()
	_, err := Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "missing", "x.db"))
	if err == nil || !strings.Contains(err.Error(), "OUTREACH_DATABASE_URL") {
		t.Errorf("Open of an impossible path: error = %v, want one naming OUTREACH_DATABASE_URL", err)
	}
}

// postgresURL is the test server's URL with search_path set to a schema of
// this test's own, dropped when the test ends.
func postgresURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("OUTREACH_TEST_DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	schema := "outreach_store_test_" + strings.ToLower(rand.Text()[:12])
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+ident+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
