package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/archive"
)

// Archive search limits: the default and largest page.
const (
	defaultArchiveLimit = 100
	maxArchiveLimit     = 1000
)

// archiveRoutes are the archive over HTTP, as `outreach archive search`,
// `replies`, `show`, `note` and `export` offer it:
//
//	GET  /v1/archive/deliveries?job=&delivery=&resident=&estate=&building=&unit=&kind=&channel=&status=&campaign=&since=&until=&limit=&after=
//	GET  /v1/archive/replies?job=&resident=&estate=&channel=&since=&until=&limit=
//	GET  /v1/archive/jobs/{job}?resident=&delivery=        (history, archive_jobs.go)
//	POST /v1/archive/jobs/{job}/note                        (scope manage)
//	GET  /v1/archive/export?format=csv|jsonl&bom=1&...      (archive_jobs.go)
//
// Searches answer {"deliveries": [...], "next": "..."} and {"replies":
// [...]}, newest first; the records are the JSON of `archive search
// --json` and `archive replies --json`. next, absent on the last page, is
// the cursor of the next page (the `after` parameter; the same cursor as
// `archive search --after`). Reading is read's alone; the note, staff's
// follow-up action, is manage's.
//
// A token limited to estates (access.go) finds only the records of its
// estates (Filter.Estates): another estate's deliveries and replies are
// left out of searches and exports, and its jobs are not found.
func archiveRoutes(st outreach.Store, logger *slog.Logger, exports *archive.Slots) []Route {
	h := archiveHandler{store: st, logger: logger, exports: exports}
	return []Route{
		{"GET /v1/archive/deliveries", scopesRead, http.HandlerFunc(h.deliveries)},
		{"GET /v1/archive/replies", scopesRead, http.HandlerFunc(h.replies)},
		{"GET /v1/archive/jobs/{job}", scopesRead, http.HandlerFunc(h.history)},
		{"POST /v1/archive/jobs/{job}/note", scopesManage, http.HandlerFunc(h.note)},
		{"GET /v1/archive/export", scopesRead, http.HandlerFunc(h.export)},
	}
}

type archiveHandler struct {
	store  outreach.Store
	logger *slog.Logger
	// exports bounds the exports streaming at once (nil: no bound).
	exports *archive.Slots
}

// The query parameters of the archive routes (see archiveFilter).
var (
	deliveryParams = []string{"job", "delivery", "resident", "estate", "building", "unit", "kind", "channel", "status", "campaign", "since", "until", "limit", "after"}
	replyParams    = []string{"job", "resident", "estate", "channel", "since", "until", "limit"}
	// exportParams are the filters of an export (format and bom aside,
	// which export reads itself): a search's, without paging.
	exportParams = []string{"job", "delivery", "resident", "estate", "building", "unit", "kind", "channel", "status", "campaign", "since", "until"}
	// historyParams narrow a job's history to a resident or a delivery.
	historyParams = []string{"resident", "delivery"}
)

func (h archiveHandler) deliveries(w http.ResponseWriter, r *http.Request) {
	f, apiErr := archiveFilter(r.URL.Query(), deliveryParams, time.Now())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	f.Estates = limitOf(r)
	// One more than the page tells whether there is a next page, so that
	// next is absent on the last one (NextCursor, which the CLI uses,
	// cannot tell a full last page from a full page with more after it).
	limit := f.Limit
	f.Limit++
	ds, err := h.store.Search(r.Context(), f)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	page := deliveryPage{Deliveries: ds}
	if len(ds) > limit {
		page.Deliveries = ds[:limit]
		next, _ := outreach.NextCursor(page.Deliveries, limit)
		page.Next = next.String()
	}
	if page.Deliveries == nil {
		page.Deliveries = []outreach.Delivery{}
	}
	writeJSON(w, http.StatusOK, page)
}

// deliveryPage is the answer of a delivery search.
type deliveryPage struct {
	Deliveries []outreach.Delivery `json:"deliveries"`
	// Next is the after cursor of the next page; empty on the last.
	Next string `json:"next,omitempty"`
}

func (h archiveHandler) replies(w http.ResponseWriter, r *http.Request) {
	f, apiErr := archiveFilter(r.URL.Query(), replyParams, time.Now())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	f.Estates = limitOf(r)
	rs, err := h.store.Replies(r.Context(), f)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if rs == nil {
		rs = []outreach.Reply{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"replies": rs})
}

func (h archiveHandler) internal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	h.logger.Error("archive API request failed", "path", r.URL.Path, "err", err)
	writeError(w, errorf(http.StatusInternalServerError, "", "internal error; see the daemon's log"))
}

// archiveFilter reads the query string of an archive route into a Filter:
// the one place where archive query parameters are parsed, so that a new
// filter is added here, in the allowed lists above and in openapi.json.
// allowed names the parameters the route takes; any other is a 400 (a
// misspelt filter would otherwise match everything). since and until are
// RFC 3339 times; since may also be a period ("24h", "7d": that long
// before now; see parseWhen). limit is 1-1000, default 100. after is a search cursor (the next
// of a previous page, or what `archive search` prints as next:).
func archiveFilter(q url.Values, allowed []string, now time.Time) (outreach.Filter, *apiError) {
	f := outreach.Filter{Limit: defaultArchiveLimit}
	for name, vs := range q {
		if !slices.Contains(allowed, name) {
			return f, errorf(http.StatusBadRequest, name, "%s: unknown parameter (want %s)", name, strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return f, errorf(http.StatusBadRequest, name, "%s: given %d times; give it once", name, len(vs))
		}
		v := vs[0]
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return f, errorf(http.StatusBadRequest, name, "%s: not valid UTF-8 text", name)
		}
		var bad bool
		switch name {
		case "job":
			f.JobID = v
		case "delivery":
			f.DeliveryID = v
		case "resident":
			f.ResidentID = v
		case "estate":
			f.Estate = v
		case "building":
			f.Building = v
		case "unit":
			f.Unit = v
		case "campaign":
			f.Campaign = v
		case "kind":
			f.Kind, bad = outreach.Kind(v), !outreach.Kind(v).Valid()
		case "channel":
			f.Channel, bad = outreach.Channel(v), !outreach.Channel(v).Valid()
		case "status":
			f.Status, bad = outreach.Status(v), !outreach.Status(v).Valid()
		case "since", "until":
			t, err := parseWhen(v, now, name == "since")
			if err != nil {
				return f, errorf(http.StatusBadRequest, name, "%s: %v", name, err)
			}
			if name == "since" {
				f.Since = t
			} else {
				f.Until = t
			}
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxArchiveLimit {
				return f, errorf(http.StatusBadRequest, "limit", "limit: want a whole number from 1 to %d, got %q", maxArchiveLimit, v)
			}
			f.Limit = n
		case "after":
			c, err := outreach.ParseCursor(v)
			if err != nil {
				return f, errorf(http.StatusBadRequest, "after", "after: %v", outreach.ErrBadCursor)
			}
			f.After = c
		}
		if bad {
			return f, errorf(http.StatusBadRequest, name, "%s: unknown %s %q", name, name, v)
		}
	}
	return f, nil
}

// parseWhen reads an RFC 3339 time, or (when ago) a period before now as
// outreach.ParsePeriod reads it ("24h", "7d"). An empty value is an error,
// not "now".
func parseWhen(v string, now time.Time, ago bool) (time.Time, error) {
	if ago && strings.TrimSpace(v) != "" {
		if d, err := outreach.ParsePeriod(v); err == nil {
			return now.Add(-d), nil
		}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if ago {
			return t, errors.New("want an RFC 3339 time such as 2026-12-01T00:00:00+08:00, or a period such as 24h or 7d")
		}
		return t, errors.New("want an RFC 3339 time such as 2026-12-01T00:00:00+08:00")
	}
	return t, nil
}
