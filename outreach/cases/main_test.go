package cases_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine running (a
// sweeper, a store's pool).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func postgresURL() string {
	if u := os.Getenv("OUTREACH_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// archiveURLs are an archive per driver for one test: a SQLite file, and
// a schema of its own on the test PostgreSQL (OUTREACH_TEST_DATABASE_URL),
// dropped after the test.
func archiveURLs(t *testing.T) map[string]string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "outreach_cases_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, postgresURL())
	if err != nil {
		t.Fatalf("connect to PostgreSQL (OUTREACH_TEST_DATABASE_URL): %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), postgresURL()); err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(postgresURL(), "?") {
		sep = "&"
	}
	return map[string]string{
		"sqlite":   "sqlite://" + t.TempDir() + "/outreach.db",
		"postgres": postgresURL() + sep + "search_path=" + schema + "&pool_max_conns=4",
	}
}

// onEachDriver runs test on a fresh archive of each driver.
func onEachDriver(t *testing.T, test func(t *testing.T, url string)) {
	t.Helper()
	for driver, url := range archiveURLs(t) {
		t.Run(driver, func(t *testing.T) { test(t, url) })
	}
}
