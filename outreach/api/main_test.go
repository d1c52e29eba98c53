package api_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine running (a
// server, a loop or a client that Close or Shutdown does not fully stop).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
