package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// analyzeArchive refreshes PostgreSQL's statistics of the deliveries table
// before the check walks the run's deliveries. A run inserts all its rows
// in a few minutes; where autovacuum is off or behind, the planner still
// believes the table holds what it held before (nothing, on a fresh
// database), sorts the whole campaign for every page of the walk, and a
// check of a million deliveries takes hours instead of seconds. It runs
// after the daemons stopped, outside the measured time. Other archives
// need nothing.
func analyzeArchive(ctx context.Context, databaseURL string) error {
	if !strings.HasPrefix(databaseURL, "postgres://") && !strings.HasPrefix(databaseURL, "postgresql://") {
		return nil
	}
	conn, err := pgx.Connect(ctx, databaseURL) // honours ?search_path= like the store
	if err != nil {
		return fmt.Errorf("analyze archive: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "ANALYZE deliveries"); err != nil {
		return fmt.Errorf("analyze archive: %w", err)
	}
	return nil
}
