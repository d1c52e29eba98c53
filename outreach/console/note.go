package console

import (
	"net/http"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// maxNote bounds a follow-up note, in characters.
const maxNote = 2000

// noteDelivery sets a delivery's follow-up note (staff's record of what
// they did: "called back, will fix Tuesday"), which its history keeps as
// a `noted` event; every note is in the audit log. A delivery the user
// does not see is not found; an auditor changes nothing.
func noteDelivery(c *Console, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	limit := limitOf(r)
	ds, err := c.cfg.Store.Search(r.Context(), outreach.Filter{DeliveryID: id, Estates: limit, Limit: 1})
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	if len(ds) == 0 || ds[0].ID != id {
		c.notFound(w, r)
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if n := len([]rune(note)); n > maxNote || strings.ContainsRune(note, 0) {
		c.showDelivery(w, r, http.StatusBadRequest, ds[0], map[string]string{"note": "delivery.error.note"}, note)
		return
	}
	if _, err := c.cfg.Store.SetNote(r.Context(), outreach.Filter{DeliveryID: id, Estates: limit}, note); err != nil {
		c.serverError(w, r, err)
		return
	}
	c.audit(r.Context(), outreach.AuditEntry{Actor: sessionOf(r).User.Login, Action: "delivery_note", Target: id, Detail: note, Addr: clientAddr(r)})
	http.Redirect(w, r, "/console/archive/deliveries/"+id+"?noted=1", http.StatusSeeOther)
}
