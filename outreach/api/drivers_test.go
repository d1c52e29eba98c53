package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/postgres"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
)

// drivers are the archive drivers the estate tests run on: SQLite, and
// PostgreSQL at OUTREACH_TEST_DATABASE_URL (default: the local test
// server), each test in a schema of its own.
var drivers = map[string]func(t *testing.T) outreach.Store{
	"sqlite": func(t *testing.T) outreach.Store {
		st, err := sqlite.Open(t.Context(), sqlite.Memory)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
	"postgres": func(t *testing.T) outreach.Store {
		url := os.Getenv("OUTREACH_TEST_DATABASE_URL")
		if url == "" {
			url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "outreach_api_" + hex.EncodeToString(b)
		t.Cleanup(func() {
			ctx := context.Background()
			if conn, err := pgx.Connect(ctx, url); err == nil {
				_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
				conn.Close(ctx)
			}
		})
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		st, err := postgres.OpenSchema(t.Context(), url+sep+"pool_max_conns=4", schema)
		if err != nil {
			t.Fatalf("open PostgreSQL (OUTREACH_TEST_DATABASE_URL): %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
}

// onEachDriver runs test once per archive driver.
func onEachDriver(t *testing.T, test func(t *testing.T, st outreach.Store)) {
	t.Parallel()
	for name, open := range drivers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, open(t))
		})
	}
}
