package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
)

// The frequency cap's windows: rolling, not calendar days.
const (
	capDay  = 24 * time.Hour
	capWeek = 7 * capDay
)

// reserveScript counts a message against a resident's caps and records it.
// KEYS: the resident's cap set. ARGV: now (ms), member, daily cap, weekly
// cap (0: none), start of the day window, start of the week window (both
// exclusive, ms), week (ms, the key's lifetime).
var reserveScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[6])
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  return 'ok'
end
local daily, weekly = tonumber(ARGV[3]), tonumber(ARGV[4])
if daily > 0 and redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[5], '+inf') >= daily then
  return 'daily_cap'
end
if weekly > 0 and redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[6], '+inf') >= weekly then
  return 'weekly_cap'
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return 'ok'
`)

// ReserveBulk counts one bulk message (deliveryID) to a resident against
// the frequency caps: at most daily in the last 24 hours and weekly in the
// last 7 days (0 turns a cap off). It returns "" and records the message
// when the caps allow it, or the cap it would exceed (PolicyDailyCap,
// PolicyWeeklyCap) and records nothing. The check and the record are one
// atomic script, so two daemons sending to the same resident at once
// cannot both take the last place. A deliveryID already recorded is
// allowed again (a retry or redelivery of the same message).
func (c *Consumer) ReserveBulk(ctx context.Context, residentID, deliveryID string, now time.Time, daily, weekly int) (outreach.PolicyReason, error) {
	if daily <= 0 && weekly <= 0 {
		return "", nil
	}
	ms := now.UnixMilli()
	res, err := reserveScript.Run(ctx, c.rdb, []string{c.keys.Cap(residentID)},
		ms, deliveryID, max(daily, 0), max(weekly, 0),
		ms-capDay.Milliseconds(), ms-capWeek.Milliseconds(), capWeek.Milliseconds()).Text()
	if err != nil {
		return "", fmt.Errorf("check frequency cap: %w", err)
	}
	if res == "ok" {
		return "", nil
	}
	return outreach.PolicyReason(res), nil
}

// ReleaseBulk takes back a reservation of ReserveBulk, for a message that
// was not sent after all (a permanent failure).
func (c *Consumer) ReleaseBulk(ctx context.Context, residentID, deliveryID string) error {
	if err := c.rdb.ZRem(ctx, c.keys.Cap(residentID), deliveryID).Err(); err != nil {
		return fmt.Errorf("release frequency cap reservation: %w", err)
	}
	return nil
}
