package daemon_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine running (a
// server, a loop or a client that Close or Shutdown does not fully stop).
// go-redis's redial loop after a refused dial (TestStartRefusesBadRedis
// names seeds that do not answer) outlives Close by up to a second: it is
// not ours.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}
