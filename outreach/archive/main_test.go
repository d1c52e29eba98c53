package archive_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine running (the
// retention loop, a store's pool).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
