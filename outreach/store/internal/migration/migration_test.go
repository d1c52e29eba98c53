package migration_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/outreach-dev/outreach/outreach/store/internal/migration"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_b.sql": {Data: []byte("CREATE INDEX b ON a (x);")},
		"m/0001_a.sql": {Data: []byte("CREATE TABLE a (x int);")},
		"m/README":     {Data: []byte("not a migration")},
	}
	ms, err := migration.Load(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 1 || ms[0].Name != "0001_a.sql" || ms[1].Version != 2 ||
		ms[1].SQL != "CREATE INDEX b ON a (x);" {
		t.Errorf("Load = %+v, want 0001_a.sql then 0002_b.sql", ms)
	}
}

func TestLoadRefuses(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"gap":      {"m/0001_a.sql": "x", "m/0003_c.sql": "x"},
		"repeat":   {"m/0001_a.sql": "x", "m/0001_b.sql": "x"},
		"not one":  {"m/0002_b.sql": "x"},
		"bad name": {"m/1_a.sql": "x"},
		"no name":  {"m/0001.sql": "x"},
		"no what":  {"m/0001_.sql": "x"},
		"empty":    {"m/0001_a.sql": " \n"},
		"zero":     {"m/0000_a.sql": "x"},
		"none":     {"m/README": "x"},
	} {
		fsys := fstest.MapFS{}
		for p, text := range files {
			fsys[p] = &fstest.MapFile{Data: []byte(text)}
		}
		if ms, err := migration.Load(fsys, "m"); err == nil {
			t.Errorf("%s: Load = %+v, want an error", name, ms)
		} else if !strings.Contains(err.Error(), "migration") {
			t.Errorf("%s: error %q does not say migration", name, err)
		}
	}
}
