package postgres_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach/store/postgres"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.golden from the schema the migrations build")

// schemaQueries describe a schema: columns, constraints, indexes,
// triggers and functions, as the catalog spells them.
var schemaQueries = []string{
	`SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || udt_name ||
		' null=' || is_nullable || ' default=' || COALESCE(column_default, '-') || ' collate=' || COALESCE(collation_name, '-') ||
		' identity=' || is_identity
	FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
	`SELECT 'element ' || c.table_name || '.' || c.column_name || ' collate=' || COALESCE(e.collation_name, '-')
	FROM information_schema.columns c JOIN information_schema.element_types e
		ON e.object_schema = c.table_schema AND e.object_name = c.table_name AND e.object_type = 'TABLE'
		AND e.collection_type_identifier = c.dtd_identifier
	WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.column_name`,
	`SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ': ' || pg_get_constraintdef(oid)
	FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY conrelid::regclass::text, conname`,
	`SELECT 'index ' || indexname || ': ' || replace(indexdef, current_schema() || '.', '')
	FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`,
	`SELECT 'trigger ' || tgname || ': ' || replace(pg_get_triggerdef(t.oid), current_schema() || '.', '')
	FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
	WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal ORDER BY tgname`,
	`SELECT 'function ' || proname || ' config=' || COALESCE(array_to_string(proconfig, ','), '-') || ': ' ||
		regexp_replace(btrim(prosrc), '\s+', ' ', 'g')
	FROM pg_proc WHERE pronamespace = current_schema()::regnamespace ORDER BY proname`,
}

// TestSchemaGolden compares the schema the migrations build with
// testdata/schema.golden, written from the migrations as Go string slices
// before they moved to .sql files: a schema an older release migrated
// holds the same tables, indexes, triggers and functions as a new one. A
// migration added later updates the golden file (go test -run
// TestSchemaGolden -update) and the diff shows what it changed.
func TestSchemaGolden(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	schema := freshSchema(t)
	if err := postgres.MigrateSchemaTo(ctx, databaseURL(), schema, postgres.Versions); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	conn, err := pgx.Connect(ctx, databaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET search_path TO "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, q := range schemaQueries {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for _, l := range lines {
			b.WriteString(strings.ReplaceAll(l, schema, "SCHEMA") + "\n")
		}
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
