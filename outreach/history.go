package outreach

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventKind names a step in a delivery's history.
type EventKind string

// Delivery events. A status change writes an event named like the new
// status (queued, deferred, sent, delivered, undelivered, failed,
// retrying, suppressed): the stores append it themselves whenever Record
// inserts a delivery or changes its status, and when UpdateStatus applies
// a provider's report. The others come from the calls named.
const (
	EventQueued      EventKind = EventKind(StatusQueued)
	EventDeferred    EventKind = EventKind(StatusDeferred)
	EventSent        EventKind = EventKind(StatusSent)
	EventDelivered   EventKind = EventKind(StatusDelivered)
	EventUndelivered EventKind = EventKind(StatusUndelivered)
	EventFailed      EventKind = EventKind(StatusFailed)
	EventRetrying    EventKind = EventKind(StatusRetrying)
	EventSuppressed  EventKind = EventKind(StatusSuppressed)
	// EventReplied: the resident answered this delivery (RecordReply);
	// the detail is the reply's text.
	EventReplied EventKind = "replied"
	// EventOptedOut and EventOptedIn: the resident opted out of (or back
	// into) the delivery's channel or kind (SetOptOut). They are appended
	// to the resident's latest delivery on that channel (or of that kind),
	// the message the resident was answering; with no such delivery the
	// resident's record alone keeps the opt-out.
	EventOptedOut EventKind = "opted_out"
	EventOptedIn  EventKind = "opted_in"
	// EventNoted: staff set the follow-up note (SetNote); the detail is
	// the note.
	EventNoted EventKind = "noted"
)

// DeliveryEvent is one step in a delivery's history.
type DeliveryEvent struct {
	DeliveryID string `json:"-"`
	JobID      string `json:"-"`
	// Seq orders the events of the archive (ascending: the order they
	// were written).
	Seq   int64     `json:"seq"`
	Event EventKind `json:"event"`
	At    time.Time `json:"at"`
	// Detail is what explains the step: for a status, the error, provider
	// message id and policy reason the delivery had then ("error: ...;
	// provider id: ...; policy: ..."); for a reply, its text; for a
	// note, the note.
	Detail string `json:"detail,omitempty"`
}

// Cursor is a position in the archive's search order (CreatedAt, then ID,
// both descending). Filter.After continues a search after it.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// IsZero reports whether c is the start of the search (no cursor).
func (c Cursor) IsZero() bool { return c.CreatedAt.IsZero() && c.ID == "" }

// String encodes c for a command line or a URL: opaque, URL-safe, and
// never empty unless c is zero.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	raw := strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + ":" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ErrBadCursor is returned (wrapped) by ParseCursor.
var ErrBadCursor = errors.New("not a search cursor (use the `next` value of a previous page)")

// ParseCursor decodes what Cursor.String made; "" is the zero cursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, fmt.Errorf("cursor %q: %w", s, ErrBadCursor)
	}
	micros, id, ok := strings.Cut(string(raw), ":")
	us, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil {
		return Cursor{}, fmt.Errorf("cursor %q: %w", s, ErrBadCursor)
	}
	return Cursor{CreatedAt: time.UnixMicro(us).UTC(), ID: id}, nil
}

// NextCursor is the cursor of the page after page, a Search result for a
// filter whose limit was limit; ok is false when page was the last one
// (it is shorter than the limit; 0 is DefaultSearchLimit). A full last page still gives a cursor,
// whose page is empty.
func NextCursor(page []Delivery, limit int) (c Cursor, ok bool) {
	if limit == 0 {
		limit = DefaultSearchLimit
	}
	if len(page) == 0 || len(page) < limit {
		return Cursor{}, false
	}
	last := page[len(page)-1]
	return Cursor{CreatedAt: last.CreatedAt, ID: last.ID}, true
}
