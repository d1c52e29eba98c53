// Package policy holds the sending rules that do not need the outside
// world: quiet hours in the resident's time zone, per kind, and the
// settings of the frequency cap. The dispatch pipeline applies them (with
// opt-outs and the cap's counter in Redis) before it renders and sends.
package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Window is a daily period of wall-clock time, [Start, End) in minutes
// after midnight. It crosses midnight when End < Start (21:00-08:00).
type Window struct {
	Start, End int
}

// ParseWindow reads "HH:MM-HH:MM" (24-hour clock). The two ends must differ.
func ParseWindow(s string) (Window, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Window{}, fmt.Errorf("quiet hours %q: want HH:MM-HH:MM, e.g. 21:00-08:00", s)
	}
	start, err := parseClock(from)
	if err != nil {
		return Window{}, fmt.Errorf("quiet hours %q: %w", s, err)
	}
	end, err := parseClock(to)
	if err != nil {
		return Window{}, fmt.Errorf("quiet hours %q: %w", s, err)
	}
	if start == end {
		return Window{}, fmt.Errorf("quiet hours %q: start and end are the same time (use off for none)", s)
	}
	return Window{Start: start, End: end}, nil
}

// ParseClock reads a wall-clock time "HH:MM" (24-hour clock) as minutes
// after midnight.
func ParseClock(s string) (int, error) { return parseClock(s) }

func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != len("15:04") {
		return 0, fmt.Errorf("%q is not a time of day such as 08:00", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

func (w Window) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", w.Start/60, w.Start%60, w.End/60, w.End%60)
}

// Contains reports whether the wall-clock time of t (in t's location) is
// inside the window.
func (w Window) Contains(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	if w.Start < w.End {
		return w.Start <= m && m < w.End
	}
	return m >= w.Start || m < w.End
}

// EndAfter is the first moment after t, in t's location, when the wall
// clock shows End: the end of the quiet period that contains t. Where a
// daylight-saving jump skips End, it is the moment the clock jumps to.
func (w Window) EndAfter(t time.Time) time.Time {
	y, mo, d := t.Date()
	end := clockAt(y, mo, d, w.End, t.Location())
	for !end.After(t) {
		d++
		end = clockAt(y, mo, d, w.End, t.Location())
	}
	return end
}

// clockAt is the moment of the given day when the wall clock in loc shows
// minute (after midnight), or, when a daylight-saving jump skips that
// minute, the moment of the jump.
func clockAt(y int, mo time.Month, d, minute int, loc *time.Location) time.Time {
	t := time.Date(y, mo, d, minute/60, minute%60, 0, 0, loc)
	got := t.Hour()*60 + t.Minute()
	if got == minute {
		return t
	}
	// time.Date normalized a skipped wall time to one side of the jump;
	// the zone period it landed in starts or ends at the jump.
	start, end := t.ZoneBounds()
	if got < minute {
		return end
	}
	return start
}

// QuietHours are the windows in which non-urgent messages wait: one for
// every kind, and overrides per kind. A nil window means none.
type QuietHours struct {
	Default *Window
	ByKind  map[outreach.Kind]*Window
}

// DefaultQuietHours is the value of OUTREACH_QUIET_HOURS when it is unset.
const DefaultQuietHours = "21:00-08:00"

// ParseQuietHours reads OUTREACH_QUIET_HOURS: a comma-separated list whose
// items are a window for every kind ("21:00-08:00", or "off" for none) and
// overrides for one kind ("maintenance_notice=22:00-07:00",
// "follow_up=off"). The default item may be left out (no quiet hours but
// the overrides); it may appear once, and each kind once.
//
//	21:00-08:00
//	21:00-08:00,holiday_greeting=20:00-09:00,maintenance_notice=off
//	off
func ParseQuietHours(s string) (QuietHours, error) {
	var q QuietHours
	seenDefault := false
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return QuietHours{}, fmt.Errorf("quiet hours %q: empty item", s)
		}
		kind, value, isKind := strings.Cut(item, "=")
		if !isKind {
			if seenDefault {
				return QuietHours{}, fmt.Errorf("quiet hours %q: two windows for every kind", s)
			}
			seenDefault = true
			w, err := parseWindowOrOff(item)
			if err != nil {
				return QuietHours{}, err
			}
			q.Default = w
			continue
		}
		k := outreach.Kind(strings.TrimSpace(kind))
		if !k.Valid() {
			return QuietHours{}, fmt.Errorf("quiet hours %q: unknown kind %q", s, k)
		}
		if _, dup := q.ByKind[k]; dup {
			return QuietHours{}, fmt.Errorf("quiet hours %q: kind %s given twice", s, k)
		}
		w, err := parseWindowOrOff(value)
		if err != nil {
			return QuietHours{}, err
		}
		if q.ByKind == nil {
			q.ByKind = map[outreach.Kind]*Window{}
		}
		q.ByKind[k] = w
	}
	return q, nil
}

func parseWindowOrOff(s string) (*Window, error) {
	if strings.EqualFold(strings.TrimSpace(s), "off") {
		return nil, nil
	}
	w, err := ParseWindow(s)
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// MustParseQuietHours is ParseQuietHours for constants; it panics on error.
func MustParseQuietHours(s string) QuietHours {
	q, err := ParseQuietHours(s)
	if err != nil {
		panic(err)
	}
	return q
}

// For is the window of kind k and whether there is one.
func (q QuietHours) For(k outreach.Kind) (Window, bool) {
	w, ok := q.ByKind[k]
	if !ok {
		w = q.Default
	}
	if w == nil {
		return Window{}, false
	}
	return *w, true
}

// String gives q in the syntax ParseQuietHours reads, kinds in order.
func (q QuietHours) String() string {
	show := func(w *Window) string {
		if w == nil {
			return "off"
		}
		return w.String()
	}
	items := []string{show(q.Default)}
	kinds := make([]outreach.Kind, 0, len(q.ByKind))
	for k := range q.ByKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		items = append(items, string(k)+"="+show(q.ByKind[k]))
	}
	return strings.Join(items, ",")
}
