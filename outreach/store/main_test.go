package store

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine running: a
// store that is not closed, or that Close does not fully stop.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
