package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/archive"
)

// historyLimit bounds a job's history, as `archive show` does: a job to
// one building has a few hundred deliveries; a bulk greeting to everyone
// is better searched or exported.
const historyLimit = 10000

// maxNoteLen is the longest follow-up note, in characters.
const maxNoteLen = 2000

// jobHistory is the answer of GET /v1/archive/jobs/{job}.
type jobHistory struct {
	JobID string `json:"job_id"`
	// Deliveries are the job's deliveries, oldest first, each with its
	// events (oldest first), as `archive show --json` prints them.
	Deliveries []outreach.Delivery `json:"deliveries"`
	// Truncated: the job has more than historyLimit deliveries and only
	// the latest are here.
	Truncated bool `json:"truncated,omitempty"`
}

// history serves GET /v1/archive/jobs/{job}?resident=&delivery=: the
// deliveries of a job with their history, as `archive show JOB --json`.
// 404 when no delivery of the job matches.
func (h archiveHandler) history(w http.ResponseWriter, r *http.Request) {
	f, apiErr := jobFilter(r, historyParams)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	f.Limit = historyLimit
	ds, err := h.store.Search(r.Context(), f)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if len(ds) == 0 {
		writeError(w, errorf(http.StatusNotFound, "job", "no delivery of job %q matches", f.JobID))
		return
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	events, err := h.store.Events(r.Context(), ids...)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	byDelivery := map[string][]outreach.DeliveryEvent{}
	for _, ev := range events {
		byDelivery[ev.DeliveryID] = append(byDelivery[ev.DeliveryID], ev)
	}
	out := jobHistory{JobID: f.JobID, Deliveries: make([]outreach.Delivery, 0, len(ds)), Truncated: len(ds) == historyLimit}
	for i := len(ds) - 1; i >= 0; i-- { // Search is newest first; history reads oldest first
		d := ds[i]
		d.Events = byDelivery[d.ID]
		out.Deliveries = append(out.Deliveries, d)
	}
	writeJSON(w, http.StatusOK, out)
}

// noteRequest is the body of POST /v1/archive/jobs/{job}/note.
type noteRequest struct {
	// Note is the follow-up action ("called back, resolved"); "" clears it.
	Note *string `json:"note"`
	// ResidentID and DeliveryID narrow the note to one resident's
	// deliveries of the job, or to one delivery.
	ResidentID string `json:"resident_id"`
	DeliveryID string `json:"delivery_id"`
}

// noteResult is the answer of a note.
type noteResult struct {
	JobID string `json:"job_id"`
	// Noted is how many deliveries got the note.
	Noted int64 `json:"noted"`
}

// note serves POST /v1/archive/jobs/{job}/note, staff recording the
// follow-up action, as `archive note JOB TEXT [--resident] [--delivery]`:
// every matching delivery gets the note and a `noted` event. 404 when no
// delivery of the job matches.
func (h archiveHandler) note(w http.ResponseWriter, r *http.Request) {
	f, apiErr := jobFilter(r, nil)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	var req noteRequest
	if apiErr := decodeBody(w, r, &req); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if apiErr := req.validate(); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	f.ResidentID, f.DeliveryID = req.ResidentID, req.DeliveryID
	n, err := h.store.SetNote(r.Context(), f, *req.Note)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if n == 0 {
		writeError(w, errorf(http.StatusNotFound, "job", "no delivery of job %q matches", f.JobID))
		return
	}
	writeJSON(w, http.StatusOK, noteResult{JobID: f.JobID, Noted: n})
}

// validate checks a note request, naming the field at fault.
func (req noteRequest) validate() *apiError {
	if req.Note == nil {
		return errorf(http.StatusBadRequest, "note", `note: required (the follow-up action; "" clears it)`)
	}
	if n := utf8.RuneCountInString(*req.Note); n > maxNoteLen {
		return errorf(http.StatusBadRequest, "note", "note: %d characters; at most %d", n, maxNoteLen)
	}
	if strings.IndexByte(*req.Note, 0) >= 0 {
		return errorf(http.StatusBadRequest, "note", "note: contains a NUL character")
	}
	for field, v := range map[string]string{"resident_id": req.ResidentID, "delivery_id": req.DeliveryID} {
		if len(v) > 200 || strings.IndexByte(v, 0) >= 0 {
			return errorf(http.StatusBadRequest, field, "%s: not an id", field)
		}
	}
	return nil
}

// jobFilter is the filter of a /v1/archive/jobs/{job} route: the job of
// the path, and the query parameters allowed (see archiveFilter), within
// the estates of the request's token.
func jobFilter(r *http.Request, allowed []string) (outreach.Filter, *apiError) {
	job := r.PathValue("job")
	if !utf8.ValidString(job) || strings.IndexByte(job, 0) >= 0 || len(job) > 200 {
		return outreach.Filter{}, errorf(http.StatusBadRequest, "job", "job: not a job id")
	}
	f, apiErr := archiveFilter(r.URL.Query(), allowed, time.Now())
	f.JobID = job
	f.Estates = limitOf(r)
	return f, apiErr
}

// export serves GET /v1/archive/export?format=csv|jsonl&bom=1&since=&until=
// and the search filters, as `archive export`: the matching deliveries,
// streamed as they are read (archive.Export: memory stays flat however
// large the archive), as an attachment. A failure after the first bytes
// went out aborts the response, so the client sees a broken transfer,
// never a short file that looks whole.
func (h archiveHandler) export(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opt, apiErr := exportOptions(q)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	q.Del("format")
	q.Del("bom")
	f, apiErr := archiveFilter(q, exportParams, time.Now())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	f.Estates = limitOf(r)
	release, ok := h.exports.TryAcquire()
	if !ok {
		w.Header().Set("Retry-After", archive.RetryAfter())
		writeError(w, errorf(http.StatusTooManyRequests, "", "%d exports are running on this daemon, the most it streams at once; try again in %s s", archive.MaxConcurrentExports, archive.RetryAfter()))
		return
	}
	defer release()
	ext, ctype := "csv", "text/csv; charset=utf-8"
	if opt.Format == archive.JSONL {
		ext, ctype = "jsonl", "application/x-ndjson"
	}
	name := fmt.Sprintf("outreach-archive-%s.%s", time.Now().UTC().Format("20060102T150405Z"), ext)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	// An export of a large archive takes longer than the server's write
	// timeout, which guards every other route; this one streams, and a
	// client that stops reading is cut off by its context.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	cw := &countingWriter{w: w}
	n, err := archive.Export(r.Context(), cw, h.store, f, opt)
	switch {
	case err == nil:
		h.logger.Info("archive exported over HTTP", "deliveries", n, "format", string(opt.Format))
	case r.Context().Err() != nil:
		// The client went away; nothing to answer.
	case cw.n == 0:
		w.Header().Del("Content-Disposition")
		h.internal(w, r, err)
	default:
		h.logger.Error("archive export aborted", "deliveries", n, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// exportOptions reads format (csv, the default, or jsonl) and bom (a
// boolean: 1, true, 0, false).
func exportOptions(q map[string][]string) (archive.Options, *apiError) {
	var opt archive.Options
	if vs := q["format"]; len(vs) > 0 {
		f, err := archive.ParseFormat(vs[0])
		if err != nil || len(vs) > 1 {
			return opt, errorf(http.StatusBadRequest, "format", "format: want csv or jsonl, once")
		}
		opt.Format = f
	} else {
		opt.Format = archive.CSV
	}
	if vs := q["bom"]; len(vs) > 0 {
		b, err := strconv.ParseBool(vs[0])
		if err != nil || len(vs) > 1 {
			return opt, errorf(http.StatusBadRequest, "bom", "bom: want 1 or 0, once")
		}
		if b && opt.Format != archive.CSV {
			return opt, errorf(http.StatusBadRequest, "bom", "bom: only for format=csv")
		}
		opt.BOM = b
	}
	return opt, nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
