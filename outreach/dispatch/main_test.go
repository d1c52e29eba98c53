package dispatch

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlives the tests: the batchers, the
// workers and the loops of Run all end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
