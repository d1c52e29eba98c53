package console

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
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
	Estate, Building, Unit, Resident, Kind, Channel, Status, Since, After string
}

// archivePage searches the archive: the filters of `archive search`,
// newest first, in keyset pages (after=cursor), limited to the user's
// estates in the store (Filter.Estates): another estate's deliveries are
// never on a page.
func archivePage(c *Console, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := archiveView{
		Form: archiveForm{
			Estate: q.Get("estate"), Building: strings.TrimSpace(q.Get("building")), Unit: strings.TrimSpace(q.Get("unit")),
			Resident: strings.TrimSpace(q.Get("resident")), Kind: q.Get("kind"), Channel: q.Get("channel"),
			Status: q.Get("status"), Since: q.Get("since"), After: q.Get("after"),
		},
		Errors:   map[string]string{},
		Kinds:    outreach.Kinds,
		Channels: outreach.KnownChannels,
		Statuses: outreach.Statuses,
	}
	estates, err := c.visibleEstates(r)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Estates = estates
	f := outreach.Filter{
		Estate: v.Form.Estate, Building: v.Form.Building, Unit: v.Form.Unit, ResidentID: v.Form.Resident,
		Kind: outreach.Kind(v.Form.Kind), Channel: outreach.Channel(v.Form.Channel), Status: outreach.Status(v.Form.Status),
		Estates: limitOf(r), Limit: pageSize + 1,
	}
	if f.Kind != "" && !slices.Contains(outreach.Kinds, f.Kind) {
		v.Errors["kind"] = "error.choice"
	}
	if f.Channel != "" && !slices.Contains(outreach.KnownChannels, f.Channel) {
		v.Errors["channel"] = "error.choice"
	}
	if f.Status != "" && !slices.Contains(outreach.Statuses, f.Status) {
		v.Errors["status"] = "error.choice"
	}
	if f.Estate != "" {
		if err := outreach.CheckEstateID(f.Estate); err != nil {
			v.Errors["estate"] = "error.choice"
		}
	}
	if v.Form.Since != "" {
		since, err := time.ParseInLocation("2006-01-02", v.Form.Since, c.cfg.TimeZone)
		if err != nil {
			v.Errors["since"] = "error.date"
		}
		f.Since = since
	}
	if v.Form.After != "" {
		if f.After, err = outreach.ParseCursor(v.Form.After); err != nil {
			v.Errors["after"] = "error.cursor"
		}
	}
	status := http.StatusOK
	if len(v.Errors) > 0 {
		status = http.StatusBadRequest
	} else {
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

type deliveryView struct {
	D      outreach.Delivery
	Events []outreach.DeliveryEvent
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
	events, err := c.cfg.Store.Events(r.Context(), id)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "delivery", "delivery.title", deliveryView{D: ds[0], Events: events})
}
