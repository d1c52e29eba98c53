// Package campaign runs campaigns: it checks and stores them (Service,
// shared by the CLI and the HTTP API), computes when they run (this file),
// expands each occurrence into one job per resident on the stream
// (Expander), and drives all that from every daemon (Scheduler).
package campaign

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/policy"
)

// earliestZone is the first time zone on Earth to reach a wall-clock time
// (Kiribati, UTC+14): a local-time campaign starts expanding when it gets
// there, and each resident's job waits for the resident's own zone.
var earliestZone = time.FixedZone("UTC+14", 14*60*60)

// minInterval bounds how often a recurring campaign may run.
const minInterval = time.Minute

// dateLayout is the layout of Schedule.On.
const dateLayout = "2006-01-02"

// parseCron reads a cron expression: five fields or a descriptor
// (@daily, @every 24h, ...), optionally after CRON_TZ=Zone. Without a zone
// it is read in zone.
func parseCron(spec string, zone *time.Location) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if (strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=")) && !strings.Contains(spec, " ") {
		return nil, fmt.Errorf("cron expression %q: a zone and then the schedule, e.g. CRON_TZ=Asia/Shanghai 0 9 1 */3 *", spec)
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("cron expression %q: %w", spec, err)
	}
	z := zonedSchedule{s: s, zone: zone}
	first := z.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if first.IsZero() {
		return nil, fmt.Errorf("cron expression %q never runs", spec)
	}
	if second := z.Next(first); !second.IsZero() && second.Sub(first) < minInterval {
		return nil, fmt.Errorf("cron expression %q runs more often than every %s", spec, minInterval)
	}
	return z, nil
}

// zonedSchedule reads a schedule without CRON_TZ in zone: robfig/cron reads
// such a schedule in the zone of the time it is given.
type zonedSchedule struct {
	s    cron.Schedule
	zone *time.Location
}

func (z zonedSchedule) Next(t time.Time) time.Time { return z.s.Next(t.In(z.zone)) }

// checkSchedule checks the schedule's syntax.
func checkSchedule(s outreach.Schedule, zone *time.Location) error {
	switch {
	case s.Every != "":
		_, err := parseCron(s.Every, zone)
		return err
	case s.LocalTime != "":
		if _, err := policy.ParseClock(s.LocalTime); err != nil {
			return fmt.Errorf("local time: %w", err)
		}
		if _, err := time.Parse(dateLayout, s.On); err != nil {
			return fmt.Errorf("date %q: want YYYY-MM-DD", s.On)
		}
	}
	return nil
}

// firstRun is when a new campaign's first occurrence is due: its time, the
// moment the earliest zone reaches its local time, the cron expression's
// first time after now, or now.
func firstRun(s outreach.Schedule, now time.Time, zone *time.Location) (time.Time, error) {
	switch {
	case s.At != nil:
		return *s.At, nil
	case s.LocalTime != "":
		return localTime(s, earliestZone)
	case s.Every != "":
		c, err := parseCron(s.Every, zone)
		if err != nil {
			return time.Time{}, err
		}
		return c.Next(now), nil
	}
	return now, nil
}

// nextRun is when the occurrence after one due at `due` runs, or nil for a
// one-time schedule. Runs missed while no daemon ran are skipped: the next
// one is after now.
func nextRun(s outreach.Schedule, due, now time.Time, zone *time.Location) (*time.Time, error) {
	if s.Every == "" {
		return nil, nil
	}
	c, err := parseCron(s.Every, zone)
	if err != nil {
		return nil, err
	}
	next := c.Next(later(due, now))
	if next.IsZero() {
		return nil, nil
	}
	return &next, nil
}

// localTime is the moment the wall clock in zone shows the schedule's local
// time on its date.
func localTime(s outreach.Schedule, zone *time.Location) (time.Time, error) {
	minute, err := policy.ParseClock(s.LocalTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("local time: %w", err)
	}
	d, err := time.Parse(dateLayout, s.On)
	if err != nil {
		return time.Time{}, errors.New("date: want YYYY-MM-DD")
	}
	return time.Date(d.Year(), d.Month(), d.Day(), minute/60, minute%60, 0, 0, zone), nil
}

// occurrenceKey names the occurrence due at t; it goes into job ids.
func occurrenceKey(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
