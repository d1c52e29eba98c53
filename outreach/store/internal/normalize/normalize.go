// Package normalize validates records and puts them in the canonical form
// that every store writes, so that SQLite and PostgreSQL accept the same
// input and give back the same values.
package normalize

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
)

// DefaultLimit is the number of deliveries Search returns when the filter
// sets no limit.
const DefaultLimit = outreach.DefaultSearchLimit

// DefaultResidentLimit is the number of residents ListResidents returns when
// the filter sets no limit.
const DefaultResidentLimit = 100

// Time is t as the stores keep it: UTC, truncated to the microsecond (the
// resolution of a PostgreSQL timestamptz; SQLite stores the same integer).
func Time(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Deliveries returns a normalized copy of ds: every text is valid UTF-8
// without NUL bytes (PostgreSQL refuses both; SQLite would keep them), zero
// CreatedAt and UpdatedAt become now, and all times are in canonical form.
// The caller's slice is not modified.
func Deliveries(ds []outreach.Delivery, now time.Time) ([]outreach.Delivery, error) {
	now = Time(now)
	out := make([]outreach.Delivery, len(ds))
	for i, d := range ds {
		if d.ID == "" {
			return nil, fmt.Errorf("delivery %d: empty id", i)
		}
		if d.Attempts < 0 || d.Attempts > math.MaxInt32 {
			return nil, fmt.Errorf("delivery %d (id %q): attempts %d out of range", i, d.ID, d.Attempts)
		}
		if d.Segments < 0 || d.Segments > math.MaxInt32 {
			return nil, fmt.Errorf("delivery %d (id %q): segments %d out of range", i, d.ID, d.Segments)
		}
		texts := []field{
			{"id", d.ID}, {"job_id", d.JobID}, {"stream_id", d.StreamID},
			{"resident_id", d.ResidentID}, {"kind", string(d.Kind)}, {"channel", string(d.Channel)},
			{"template", d.Template}, {"template_version", d.TemplateVersion}, {"locale", d.Locale},
			{"variant", d.Variant}, {"subject", d.Subject}, {"body", d.Body}, {"encoding", d.Encoding},
			{"status", string(d.Status)}, {"provider_message_id", d.ProviderID},
			{"error", d.Error}, {"campaign", d.Campaign}, {"policy", string(d.Policy)},
			{"building", d.Building}, {"unit", d.Unit}, {"estate", d.Estate}, {"fallback", d.Fallback},
		}
		for _, f := range texts {
			if err := checkText(f.value); err != nil {
				return nil, fmt.Errorf("delivery %d (id %q): field %s: %w", i, d.ID, f.name, err)
			}
		}
		if d.Estate == "" {
			d.Estate = outreach.DefaultEstateID
		}
		d.CreatedAt = orNow(d.CreatedAt, now)
		d.UpdatedAt = orNow(d.UpdatedAt, now)
		d.QueuedAt = timePtr(d.QueuedAt)
		d.SentAt = timePtr(d.SentAt)
		out[i] = d
	}
	return out, nil
}

// Residents returns a normalized copy of rs: texts are checked as for
// Deliveries, a zero UpdatedAt becomes now, opt-outs become sorted sets
// (no repeats), and empty lists and attributes become nil (which is what
// the stores give back for them).
func Residents(rs []outreach.Resident, now time.Time) ([]outreach.Resident, error) {
	now = Time(now)
	out := make([]outreach.Resident, len(rs))
	for i, r := range rs {
		if r.ID == "" {
			return nil, fmt.Errorf("resident %d: empty id", i)
		}
		texts := []field{
			{"id", r.ID}, {"name", r.Name}, {"email", r.Email}, {"phone", r.Phone},
			{"locale", r.Locale}, {"building", r.Building}, {"unit", r.Unit},
			{"time_zone", r.TimeZone}, {"estate", r.Estate},
		}
		for _, t := range r.Tags {
			texts = append(texts, field{"tags", t})
		}
		for _, c := range r.Channels {
			texts = append(texts, field{"channels", string(c)})
		}
		for _, c := range r.OptOutChannels {
			texts = append(texts, field{"opt_out_channels", string(c)})
		}
		for _, k := range r.OptOutKinds {
			texts = append(texts, field{"opt_out_kinds", string(k)})
		}
		for k, v := range r.Attributes {
			texts = append(texts, field{"attributes", k}, field{"attributes", v})
		}
		for _, f := range texts {
			if err := checkText(f.value); err != nil {
				return nil, fmt.Errorf("resident %d (id %q): field %s: %w", i, r.ID, f.name, err)
			}
		}
		r.Estate = r.EstateID()
		if err := outreach.CheckEstateID(r.Estate); err != nil {
			return nil, fmt.Errorf("resident %d (id %q): field estate: %w", i, r.ID, err)
		}
		r.Tags = nilIfEmpty(slices.Clone(r.Tags))
		r.Channels = nilIfEmpty(slices.Clone(r.Channels))
		r.OptOutChannels = set(r.OptOutChannels)
		r.OptOutKinds = set(r.OptOutKinds)
		if len(r.Attributes) == 0 {
			r.Attributes = nil
		}
		r.UpdatedAt = orNow(r.UpdatedAt, now)
		out[i] = r
	}
	return out, nil
}

// StatusUpdate checks u and puts it in canonical form: a provider id, a
// known status, a clean error text, and At (now when zero) in canonical form.
func StatusUpdate(u outreach.StatusUpdate, now time.Time) (outreach.StatusUpdate, error) {
	switch {
	case u.ProviderID == "":
		return u, errors.New("status update: empty provider id")
	case !u.Status.Valid():
		return u, fmt.Errorf("status update: unknown status %q", u.Status)
	}
	for _, f := range []field{{"provider id", u.ProviderID}, {"error", u.Error}} {
		if err := checkText(f.value); err != nil {
			return u, fmt.Errorf("status update: %s: %w", f.name, err)
		}
	}
	u.At = orNow(u.At, Time(now))
	return u, nil
}

// Reply checks r and puts it in canonical form: an id and a channel, clean
// texts, and ReceivedAt (now when zero) in canonical form.
func Reply(r outreach.Reply, now time.Time) (outreach.Reply, error) {
	switch {
	case r.ID == "":
		return r, errors.New("reply: empty id")
	case r.Channel == "":
		return r, fmt.Errorf("reply %q: empty channel", r.ID)
	}
	for _, f := range []field{
		{"id", r.ID}, {"channel", string(r.Channel)}, {"from", r.From}, {"resident_id", r.ResidentID},
		{"delivery_id", r.DeliveryID}, {"job_id", r.JobID}, {"body", r.Body}, {"action", string(r.Action)},
		{"estate", r.Estate},
	} {
		if err := checkText(f.value); err != nil {
			return r, fmt.Errorf("reply %q: field %s: %w", r.ID, f.name, err)
		}
	}
	r.ReceivedAt = orNow(r.ReceivedAt, Time(now))
	return r, nil
}

// StageSQL is an SQL expression giving the outreach.Status.Stage of the
// status in column, the same in SQLite and PostgreSQL, so that "never move
// a status backwards" is decided inside the UPDATE.
func StageSQL(column string) string {
	var b strings.Builder
	b.WriteString("CASE " + column)
	for _, st := range outreach.Statuses {
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", st, st.Stage())
	}
	b.WriteString(" ELSE -1 END")
	return b.String()
}

// Filter returns f with the default limit applied and its times in
// canonical form. A negative limit is an error.
func Filter(f outreach.Filter) (outreach.Filter, error) {
	switch {
	case f.Limit < 0:
		return f, fmt.Errorf("invalid search limit %d", f.Limit)
	case f.Limit == 0:
		f.Limit = DefaultLimit
	}
	if !f.Since.IsZero() {
		f.Since = Time(f.Since)
	}
	if !f.Until.IsZero() {
		f.Until = Time(f.Until)
	}
	if !f.After.IsZero() {
		f.After.CreatedAt = Time(f.After.CreatedAt)
	}
	return f, nil
}

// EventDetail is the SQL expression (the same in SQLite and PostgreSQL)
// of a status event's detail, from the delivery row's columns prefixed
// by row ("new."): its error, provider message id and policy reason,
// those that are set, joined by "; ".
func EventDetail(row string) string {
	return `concat_ws('; ',
		CASE WHEN ` + row + `error <> '' THEN 'error: ' || ` + row + `error END,
		CASE WHEN ` + row + `provider_id <> '' THEN 'provider id: ' || ` + row + `provider_id END,
		CASE WHEN ` + row + `policy <> '' THEN 'policy: ' || ` + row + `policy END)`
}

// ReplyDetail is the detail of a reply's `replied` event: its text, and
// the action it asked for.
func ReplyDetail(r outreach.Reply) string {
	if r.Action != outreach.ReplyNone {
		return r.Body + " (" + string(r.Action) + ")"
	}
	return r.Body
}

// Note checks a follow-up note.
func Note(note string) error {
	if err := checkText(note); err != nil {
		return fmt.Errorf("note: %w", err)
	}
	return nil
}

// ResidentFilter returns f with the default limit applied. A negative
// limit is an error, and so is text that no store can hold (a stored value
// could never match it; PostgreSQL would refuse the query).
func ResidentFilter(f outreach.ResidentFilter) (outreach.ResidentFilter, error) {
	switch {
	case f.Limit < 0:
		return f, fmt.Errorf("invalid resident list limit %d", f.Limit)
	case f.Limit == 0:
		f.Limit = DefaultResidentLimit
	}
	texts := []field{
		{"after", f.After}, {"building", f.Audience.Building}, {"unit", f.Audience.Unit}, {"locale", f.Audience.Locale},
	}
	for _, t := range f.Audience.Tags {
		texts = append(texts, field{"tags", t})
	}
	for _, t := range texts {
		if err := checkText(t.value); err != nil {
			return f, fmt.Errorf("resident list filter %s: %w", t.name, err)
		}
	}
	return f, nil
}

// ValidText reports whether a store can hold s: valid UTF-8 without NUL.
// A lookup by an id that is not valid text finds nothing (no stored id is
// such text); the stores check it first, because PostgreSQL would fail the
// query rather than find nothing.
func ValidText(s string) bool { return checkText(s) == nil }

// field is a named text of a record, checked by checkText.
type field struct{ name, value string }

var (
	errInvalidUTF8 = errors.New("not valid UTF-8")
	errNUL         = errors.New("contains a NUL byte")
)

func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errInvalidUTF8
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errNUL
	}
	return nil
}

func timePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := Time(*t)
	return &v
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return Time(t)
}

// set is s sorted in byte order without repeats, nil when empty; s is not
// modified.
func set[S ~[]E, E ~string](s S) S {
	out := slices.Clone(s)
	slices.Sort(out)
	return nilIfEmpty(slices.Compact(out))
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

// SortReasons orders FailureReasons' result: most frequent first, then by
// status and error text.
func SortReasons(rs []outreach.ReasonCount) {
	slices.SortFunc(rs, func(a, b outreach.ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Status, b.Status), cmp.Compare(a.Error, b.Error))
	})
}
