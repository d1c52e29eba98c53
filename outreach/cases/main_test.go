package cases_test

import (
	"github.com/outreach-dev/outreach/outreach/store/storetest"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine running (a
// sweeper, a store's pool).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// archiveURLs are an archive per driver for one test (storetest.ArchiveURLs),
// the PostgreSQL one with a small pool.
func archiveURLs(t *testing.T) map[string]string {
	t.Helper()
	urls := storetest.ArchiveURLs(t, "outreach_cases")
	urls["postgres"] += "&pool_max_conns=4"
	return urls
}

// onEachDriver runs test on a fresh archive of each driver.
func onEachDriver(t *testing.T, test func(t *testing.T, url string)) {
	t.Helper()
	for driver, url := range archiveURLs(t) {
		t.Run(driver, func(t *testing.T) { test(t, url) })
	}
}
