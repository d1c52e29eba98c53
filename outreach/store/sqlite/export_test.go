package sqlite

import (
	"context"
	"net/url"
)

// Versions is the schema version this program migrates to.
var Versions = len(migrations)

// MigrateTo creates the database file at path and brings its schema to
// version, not further: the state an older release left.
func MigrateTo(ctx context.Context, path string, version int) error {
	db, err := openPool(ctx, "file:"+(&url.URL{Path: path}).EscapedPath(), 1, false)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrateTo(ctx, db, version)
}
