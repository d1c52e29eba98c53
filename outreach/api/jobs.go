package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// JobQueue enqueues a job at most once per id (*queue.Producer has it).
type JobQueue interface {
	EnqueueOnce(ctx context.Context, job outreach.Job) (queue.Enqueued, error)
}

// jobRoutes is POST /v1/jobs: a job as on the stream, for services that
// prefer HTTP to XADD.
//
// The job id makes a retry safe. It is the Idempotency-Key header, or the
// body's "id" (both: they must be equal), or, with neither, one the API
// makes ("api-" and 24 hex digits; a retry of such a request is a new
// job). A repeat of the same id with the same job is answered 202 with the
// first request's entry and adds nothing; the same id with a different
// job is 422 (the IETF Idempotency-Key draft's answer to a reused key).
// Either way the daemon never sends a job id twice.
//
// A token limited to estates (access.go) enqueues only for its estates: a
// resident_id or an inline resident of another estate (or unknown), or an
// audience of another estate, is 404 and nothing is enqueued. An audience
// or inline resident without an estate is pinned to the token's estate
// when it has one; with several it must name one (400).
func jobRoutes(cfg Config) []Route {
	h := jobHandler{q: cfg.Jobs, store: cfg.Store, campaigns: cfg.Campaigns, logger: cfg.Logger}
	return []Route{{"POST /v1/jobs", scopesEnqueue, http.HandlerFunc(h.enqueue)}}
}

type jobHandler struct {
	q JobQueue
	// store finds the estates of residents for limited tokens, campaigns
	// those of campaigns.
	store     outreach.Store
	campaigns Campaigns
	logger    *slog.Logger
}

// jobBody is a job as its JSON comes: send_at is read as text here, so that
// a bad time is a 400 naming send_at rather than a JSON error.
type jobBody struct {
	outreach.Job
	SendAt *string `json:"send_at,omitempty"`
}

// enqueued is the answer of POST /v1/jobs.
type enqueued struct {
	ID       string `json:"id"`
	StreamID string `json:"stream_id,omitempty"`
	// Repeat: the job was enqueued before under this id; nothing was added.
	Repeat bool `json:"repeat,omitempty"`
}

func (h jobHandler) enqueue(w http.ResponseWriter, r *http.Request) {
	job, apiErr := readJob(w, r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if apiErr := h.within(r, &job); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if apiErr := h.knownEstates(r, job); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	res, err := h.q.EnqueueOnce(r.Context(), job)
	switch {
	case errors.Is(err, queue.ErrIdempotencyConflict):
		writeError(w, errorf(http.StatusUnprocessableEntity, "Idempotency-Key",
			"job id %q was enqueued with a different job in the last %s; use a new Idempotency-Key (or id) for a new job", job.ID, queue.IdempotencyTTL))
		return
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return
	case err != nil:
		h.logger.Error("enqueue job over HTTP", "job_id", job.ID, "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, errorf(http.StatusServiceUnavailable, "", "the queue is not available; retry with the same Idempotency-Key"))
		return
	}
	writeJSON(w, http.StatusAccepted, enqueued{ID: job.ID, StreamID: res.StreamID, Repeat: res.Repeat})
}

// within keeps a job posted with a limited token within its estates (see
// jobRoutes), pinning the estate of its audience or inline resident.
func (h jobHandler) within(r *http.Request, job *outreach.Job) *apiError {
	if !tokenOf(r).Limited() {
		return nil
	}
	if apiErr := h.campaignWithin(r, job); apiErr != nil {
		return apiErr
	}
	if job.Audience != nil {
		return pinAudience(r, job.Audience, "audience.estate")
	}
	id, field := job.ResidentID, "resident_id"
	if job.Resident != nil {
		if apiErr := pinResident(r, job.Resident, "resident.estate"); apiErr != nil {
			return apiErr
		}
		id, field = job.Resident.ID, "resident.id"
	}
	if h.store == nil {
		h.logger.Error("enqueue job over HTTP: a token limited to estates needs the resident directory to check them", "job_id", job.ID)
		return errorf(http.StatusInternalServerError, "", "internal error; see the daemon's log")
	}
	res, err := h.store.Resident(r.Context(), id)
	switch {
	case errors.Is(err, outreach.ErrNotFound) && job.Resident != nil:
		return nil // a new resident, in the token's estate
	case errors.Is(err, outreach.ErrNotFound), err == nil && !sees(r, res.EstateID()):
		return errorf(http.StatusNotFound, field, "resident %q not found", id)
	case err != nil:
		h.logger.Error("enqueue job over HTTP: look up the resident", "job_id", job.ID, "err", err)
		return errorf(http.StatusServiceUnavailable, "", "the resident directory is not available; retry with the same Idempotency-Key")
	}
	return nil
}

// campaignWithin refuses a job of a limited token that names another
// estate's campaign: its deliveries would count towards that campaign and
// follow its pauses. A campaign name that is no campaign's id is a label
// and passes.
func (h jobHandler) campaignWithin(r *http.Request, job *outreach.Job) *apiError {
	if job.Campaign == "" || h.campaigns == nil {
		return nil
	}
	v, err := h.campaigns.Show(r.Context(), job.Campaign)
	switch {
	case errors.Is(err, outreach.ErrNotFound):
		return nil
	case err != nil:
		h.logger.Error("enqueue job over HTTP: look up the campaign", "job_id", job.ID, "err", err)
		return errorf(http.StatusServiceUnavailable, "", "the archive is not available; retry with the same Idempotency-Key")
	case !seesAudience(r, v.Audience):
		return errorf(http.StatusNotFound, "campaign", "campaign %q not found", job.Campaign)
	}
	return nil
}

// knownEstates refuses a job whose audience or inline resident names an
// estate that does not exist (see knownEstate).
func (h jobHandler) knownEstates(r *http.Request, job outreach.Job) *apiError {
	estate, field := "", ""
	switch {
	case job.Audience != nil:
		estate, field = job.Audience.Estate, "audience.estate"
	case job.Resident != nil:
		estate, field = job.Resident.Estate, "resident.estate"
	}
	apiErr, err := knownEstate(r, h.store, estate, field)
	if err != nil {
		h.logger.Error("enqueue job over HTTP: look up the estate", "job_id", job.ID, "err", err)
		return errorf(http.StatusServiceUnavailable, "", "the resident directory is not available; retry with the same Idempotency-Key")
	}
	return apiErr
}

// maxJobID is the longest job id (outreach.Job.Validate's limit).
const maxJobID = 200

// readJob reads and validates the job of a request, with its id settled
// (see jobRoutes). Errors are 400s naming the field.
func readJob(w http.ResponseWriter, r *http.Request) (outreach.Job, *apiError) {
	body, apiErr := readBody(w, r)
	if apiErr != nil {
		return outreach.Job{}, apiErr
	}
	var in jobBody
	if apiErr := decodeJSON(body, &in, true); apiErr != nil {
		// The embedded Job shows in the paths of type errors: "Job.kind".
		if f, ok := strings.CutPrefix(apiErr.Field, "Job."); ok {
			apiErr.Field, apiErr.Message = f, strings.Replace(apiErr.Message, "Job."+f, f, 1)
		}
		return outreach.Job{}, apiErr
	}
	job := in.Job
	if in.SendAt != nil {
		t, err := time.Parse(time.RFC3339, *in.SendAt)
		if err != nil {
			return job, errorf(http.StatusBadRequest, "send_at", "send_at: want an RFC 3339 time such as 2026-12-02T09:00:00+08:00, got %q", *in.SendAt)
		}
		job.SendAt = &t
	}
	key := r.Header.Get("Idempotency-Key")
	if _, given := r.Header["Idempotency-Key"]; given && !validKey(key) {
		return job, errorf(http.StatusBadRequest, "Idempotency-Key", "Idempotency-Key: want 1 to %d visible ASCII characters", maxJobID)
	}
	switch {
	case key != "" && job.ID != "" && job.ID != key:
		return job, errorf(http.StatusBadRequest, "id", "id: %q differs from the Idempotency-Key header %q; give one of them, or the same in both", job.ID, key)
	case key != "":
		job.ID = key
	case job.ID == "":
		job.ID = newJobID()
	}
	if err := job.Validate(); err != nil {
		msg := err.Error()
		var re *outreach.RejectError
		if errors.As(err, &re) {
			msg = re.Err.Error()
		}
		return job, errorf(http.StatusBadRequest, jobField(job), "invalid job: %s", msg)
	}
	return job, nil
}

// validKey accepts 1 to maxJobID visible ASCII characters.
func validKey(k string) bool {
	if k == "" || len(k) > maxJobID {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}

// newJobID is the id of a job posted without one.
func newJobID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return "api-" + hex.EncodeToString(b[:])
}

// jobField names the field at fault in a job that Validate refused,
// checking in Validate's order.
func jobField(j outreach.Job) string {
	targets := 0
	for _, set := range []bool{j.ResidentID != "", j.Audience != nil, j.Resident != nil} {
		if set {
			targets++
		}
	}
	switch {
	case !j.Kind.Valid():
		return "kind"
	case targets != 1:
		return "resident_id"
	case j.Audience != nil && j.Audience.Empty():
		return "audience"
	case !j.Priority.Valid():
		return "priority"
	case len(j.ID) > maxJobID:
		return "id"
	}
	for _, c := range j.Channels {
		if !c.Valid() {
			return "channels"
		}
	}
	if noFollowUp := j; j.FollowUp != nil {
		noFollowUp.FollowUp = nil
		if noFollowUp.Validate() == nil {
			return "follow_up"
		}
	}
	return "resident"
}
