package survey_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine running (the
// sweeper, a store's pool).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
