package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresURL is the test PostgreSQL: OUTREACH_TEST_DATABASE_URL, or the
// local one.
func PostgresURL() string {
	if u := os.Getenv("OUTREACH_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// PostgresSchema is a PostgreSQL archive of the test's own: a schema
// named prefix_<random> on the test PostgreSQL, dropped when the test
// ends, as a URL whose search_path names it. Tests that each take one
// run in parallel without seeing each other's rows.
func PostgresSchema(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := prefix + "_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, PostgresURL())
	if err != nil {
		t.Fatalf("connect to PostgreSQL (OUTREACH_TEST_DATABASE_URL): %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), PostgresURL()); err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(PostgresURL(), "?") {
		sep = "&"
	}
	return PostgresURL() + sep + "search_path=" + schema
}

// ArchiveURLs are an archive of each driver for one test: a SQLite file
// in the test's temporary directory and a PostgresSchema.
func ArchiveURLs(t testing.TB, prefix string) map[string]string {
	t.Helper()
	return map[string]string{
		"sqlite":   "sqlite://" + t.TempDir() + "/outreach.db",
		"postgres": PostgresSchema(t, prefix),
	}
}
