package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lease takes the lease called name for this consumer (its Name), or
// renews it when this consumer holds it already, for ttl, and reports
// whether this consumer holds it now. Daemons use leases to let exactly one
// of them do a piece of shared work, such as expanding one occurrence of a
// campaign; a daemon that dies loses its lease after ttl, so renew well
// within ttl while the work goes on.
func (c *Consumer) Lease(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	ok, err := lockScript.Run(ctx, c.rdb, []string{c.keys.Lease(name)}, c.opt.Name, ttl.Milliseconds()).Bool()
	if err != nil && err != redis.Nil {
		return false, fmt.Errorf("take lease %q: %w", name, err)
	}
	return ok, nil
}

// ReleaseLease gives up the lease called name if this consumer holds it.
func (c *Consumer) ReleaseLease(ctx context.Context, name string) error {
	if err := unlockScript.Run(ctx, c.rdb, []string{c.keys.Lease(name)}, c.opt.Name).Err(); err != nil && err != redis.Nil {
		return fmt.Errorf("release lease %q: %w", name, err)
	}
	return nil
}
