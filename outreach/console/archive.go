package console

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/archive"
)

// pageSize is how many rows a page of the archive or the directory shows.
const pageSize = 50

type archiveView struct {
	Form       archiveForm
	Errors     map[string]string // by field: message keys
	Estates    []outreach.Estate
	Kinds      []outreach.Kind
	Channels   []outreach.Channel
	Statuses   []outreach.Status
	Deliveries []outreach.Delivery
	Next       string // the next page's cursor; "" on the last page
	Searched   bool
}

type archiveForm struct {
	Estate, Building, Unit, Resident, Campaign, Kind, Channel, Status, Since, Until, After string
}

// Query is the form's filters as a query string (the empty ones left
// out), with extra key-value pairs: the page links and the export's.
func (f archiveForm) Query(extra ...string) template.URL {
	q := url.Values{}
	for _, kv := range [][2]string{{"estate", f.Estate}, {"building", f.Building}, {"unit", f.Unit}, {"resident", f.Resident},
		{"campaign", f.Campaign}, {"kind", f.Kind}, {"channel", f.Channel}, {"status", f.Status}, {"since", f.Since}, {"until", f.Until}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return template.URL(q.Encode())
}

// archiveQuery reads the archive filters of a request: the form as typed,
// the store filter (limited to the user's estates: Filter.Estates, so that
// another estate's deliveries are never on a page or in an export), and
// the errors by field (message keys).
func (c *Console) archiveQuery(r *http.Request) (archiveForm, outreach.Filter, map[string]string) {
	q := r.URL.Query()
	form := archiveForm{
		Estate: q.Get("estate"), Building: strings.TrimSpace(q.Get("building")), Unit: strings.TrimSpace(q.Get("unit")),
		Resident: strings.TrimSpace(q.Get("resident")), Campaign: strings.TrimSpace(q.Get("campaign")), Kind: q.Get("kind"), Channel: q.Get("channel"),
		Status: q.Get("status"), Since: q.Get("since"), Until: q.Get("until"), After: q.Get("after"),
	}
	errs := map[string]string{}
	f := outreach.Filter{
		Estate: form.Estate, Building: form.Building, Unit: form.Unit, ResidentID: form.Resident, Campaign: form.Campaign,
		Kind: outreach.Kind(form.Kind), Channel: outreach.Channel(form.Channel), Status: outreach.Status(form.Status),
		Estates: limitOf(r),
	}
	if f.Kind != "" && !slices.Contains(outreach.Kinds, f.Kind) {
		errs["kind"] = "error.choice"
	}
	if f.Channel != "" && !slices.Contains(outreach.KnownChannels, f.Channel) {
		errs["channel"] = "error.choice"
	}
	if f.Status != "" && !slices.Contains(outreach.Statuses, f.Status) {
		errs["status"] = "error.choice"
	}
	if f.Estate != "" {
		if err := outreach.CheckEstateID(f.Estate); err != nil {
			errs["estate"] = "error.choice"
		}
	}
	if form.Since != "" {
		since, err := time.ParseInLocation("2006-01-02", form.Since, c.cfg.TimeZone)
		if err != nil {
			errs["since"] = "error.date"
		}
		f.Since = since
	}
	if form.Until != "" {
		// The last day searched, whole: up to the next midnight.
		until, err := time.ParseInLocation("2006-01-02", form.Until, c.cfg.TimeZone)
		switch {
		case err != nil:
			errs["until"] = "error.date"
		case !f.Since.IsZero() && !until.After(f.Since) && !until.Equal(f.Since):
			errs["until"] = "archive.error.until"
		}
		f.Until = until.AddDate(0, 0, 1)
	}
	if form.After != "" {
		var err error
		if f.After, err = outreach.ParseCursor(form.After); err != nil {
			errs["after"] = "error.cursor"
		}
	}
	return form, f, errs
}

// archivePage searches the archive: the filters of `archive search`,
// newest first, in keyset pages (after=cursor).
func archivePage(c *Console, w http.ResponseWriter, r *http.Request) {
	form, f, errs := c.archiveQuery(r)
	c.showArchive(w, r, form, f, errs)
}

func (c *Console) showArchive(w http.ResponseWriter, r *http.Request, form archiveForm, f outreach.Filter, errs map[string]string) {
	v := archiveView{Form: form, Errors: errs, Kinds: outreach.Kinds, Channels: outreach.KnownChannels, Statuses: outreach.Statuses}
	estates, err := c.visibleEstates(r)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Estates = estates
	status := http.StatusOK
	if len(v.Errors) > 0 {
		status = http.StatusBadRequest
	} else {
		f.Limit = pageSize + 1
		page, err := c.cfg.Store.Search(r.Context(), f)
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		if len(page) > pageSize {
			page = page[:pageSize]
			last := page[len(page)-1]
			v.Next = outreach.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}.String()
		}
		v.Deliveries, v.Searched = page, true
	}
	c.render(w, r, status, "archive", "archive.title", v)
}

// exportArchive downloads what the search finds (every page) as CSV, the
// columns of `archive export`; bom=1 starts it with the byte order mark
// that Excel needs to read Chinese. It is in the audit log.
func exportArchive(c *Console, w http.ResponseWriter, r *http.Request) {
	form, f, errs := c.archiveQuery(r)
	f.After = outreach.Cursor{}
	delete(errs, "after")
	if len(errs) > 0 {
		c.showArchive(w, r, form, f, errs)
		return
	}
	release, ok := c.cfg.Exports.TryAcquire()
	if !ok {
		w.Header().Set("Retry-After", archive.RetryAfter())
		c.errorPage(w, r, http.StatusTooManyRequests, "error.exportbusy")
		return
	}
	defer release()
	bom := r.URL.Query().Get("bom") == "1"
	name := fmt.Sprintf("outreach-archive-%s.csv", c.now().UTC().Format("20060102T150405Z"))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	// A large export outlasts the server's write timeout; it streams, and a
	// browser that stops reading is cut off by its context.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	cw := &countingWriter{w: w}
	n, err := archive.Export(r.Context(), cw, c.cfg.Store, f, archive.Options{Format: archive.CSV, BOM: bom})
	c.audit(r.Context(), outreach.AuditEntry{Actor: sessionOf(r).User.Login, Action: "archive_export",
		Detail: fmt.Sprintf("%d deliveries; %s", n, r.URL.RawQuery), Addr: clientAddr(r)})
	switch {
	case err == nil, r.Context().Err() != nil:
	case cw.n == 0:
		w.Header().Del("Content-Disposition")
		c.serverError(w, r, err)
	default:
		c.cfg.Logger.Error("console: archive export aborted", "deliveries", n, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// countingWriter counts what was written (an export that failed before
// writing anything can still answer with an error page).
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type deliveryView struct {
	D      outreach.Delivery
	Events []outreach.DeliveryEvent
	// CanNote shows the follow-up note form; Noted says one was just saved.
	CanNote, Noted bool
	Errors         map[string]string
	Note           string // the note in the form
}

// deliveryPage is one delivery and its history; a delivery of an estate
// the user does not see is not found.
func deliveryPage(c *Console, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ds, err := c.cfg.Store.Search(r.Context(), outreach.Filter{DeliveryID: id, Estates: limitOf(r), Limit: 1})
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	if len(ds) == 0 || ds[0].ID != id {
		c.notFound(w, r)
		return
	}
	c.showDelivery(w, r, http.StatusOK, ds[0], nil, ds[0].Note)
}

func (c *Console) showDelivery(w http.ResponseWriter, r *http.Request, status int, d outreach.Delivery, errs map[string]string, note string) {
	events, err := c.cfg.Store.Events(r.Context(), d.ID)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v := deliveryView{D: d, Events: events, Errors: errs, Note: note, Noted: r.URL.Query().Get("noted") == "1" && status == http.StatusOK}
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	for _, p := range c.table() {
		if p.Pattern == "POST /console/archive/deliveries/{id}/note" {
			v.CanNote = p.allows(sessionOf(r).User)
		}
	}
	c.render(w, r, status, "delivery", "delivery.title", v)
}
