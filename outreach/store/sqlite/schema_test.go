package sqlite_test

import (
	"database/sql"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.golden from the schema the migrations build")

// TestSchemaGolden compares the schema the migrations build with
// testdata/schema.golden, written from the migrations as Go string slices
// before they moved to .sql files: a database an older release migrated
// holds the same tables, indexes and triggers as a new one. A migration
// added later updates the golden file (go test -run TestSchemaGolden
// -update) and the diff shows what it changed.
func TestSchemaGolden(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "outreach.db")
	if err := sqlite.MigrateTo(ctx, path, sqlite.Versions); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master
		WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, table, text string
		if err := rows.Scan(&typ, &name, &table, &text); err != nil {
			t.Fatal(err)
		}
		b.WriteString(typ + " " + name + " on " + table + ": " + strings.Join(strings.Fields(text), " ") + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "schema.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("schema differs from %s (go test -run TestSchemaGolden -update rewrites it):\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}
