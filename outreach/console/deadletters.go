package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// DeadLetters is what the dead-letter page needs of the queue;
// *queue.Producer has it.
type DeadLetters interface {
	DeadLetters(ctx context.Context, before string, n int) ([]queue.DeadEntry, error)
	DeadLetter(ctx context.Context, shard int, id string) (queue.DeadEntry, error)
	Requeue(ctx context.Context, shard int, id string) (string, error)
}

// deadLetter is a dead letter as the pages show it: the entry, its job
// decoded when it can be, and whether re-queuing it can help.
type deadLetter struct {
	queue.DeadEntry
	Job     outreach.Job
	JobJSON string // indented
	// Invalid says why the job cannot be read (re-queuing it would
	// dead-letter it again); "" when it can.
	Invalid string
}

func readDeadLetter(d queue.DeadEntry) deadLetter {
	out := deadLetter{DeadEntry: d, JobJSON: d.Job}
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(d.Job), "", "  ") == nil {
		out.JobJSON = buf.String()
	}
	if d.Job == "" {
		out.Invalid = queue.ErrNoJob.Error()
		return out
	}
	job, err := outreach.DecodeJob([]byte(d.Job))
	if err != nil {
		out.Invalid = err.Error()
	}
	out.Job = job
	return out
}

type deadLettersView struct {
	Configured bool
	Entries    []deadLetter
	Before     string
	Next       string
	// Requeued is the new entry of a dead letter just re-queued.
	Requeued string
	Error    string
}

// deadLettersPage lists the dead letters of every shard, newest first, 50
// a page (before=entry id), with their reasons.
func deadLettersPage(c *Console, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := deadLettersView{Configured: c.cfg.DeadLetters != nil, Before: q.Get("before"), Requeued: q.Get("requeued")}
	if !v.Configured {
		c.render(w, r, http.StatusOK, "deadletters", "dead.title", v)
		return
	}
	ds, err := c.cfg.DeadLetters.DeadLetters(r.Context(), v.Before, pageSize+1)
	if err != nil && v.Before != "" {
		v.Error, v.Before = "error.cursor", ""
		c.render(w, r, http.StatusBadRequest, "deadletters", "dead.title", v)
		return
	}
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	if len(ds) > pageSize {
		ds = ds[:pageSize]
		v.Next = ds[len(ds)-1].ID
	}
	for _, d := range ds {
		v.Entries = append(v.Entries, readDeadLetter(d))
	}
	c.render(w, r, http.StatusOK, "deadletters", "dead.title", v)
}

type deadLetterView struct {
	D          deadLetter
	CanRequeue bool
	Problem    string
}

// loadDeadLetter is the dead letter of the request's {shard} and {id}.
func (c *Console) loadDeadLetter(r *http.Request) (queue.DeadEntry, error) {
	if c.cfg.DeadLetters == nil {
		return queue.DeadEntry{}, outreach.ErrNotFound
	}
	shard, err := strconv.Atoi(r.PathValue("shard"))
	if err != nil {
		return queue.DeadEntry{}, fmt.Errorf("shard %q: %w", r.PathValue("shard"), outreach.ErrNotFound)
	}
	return c.cfg.DeadLetters.DeadLetter(r.Context(), shard, r.PathValue("id"))
}

// deadLetterPage is one dead letter: why, where from, the job as it came,
// and the re-queue button.
func deadLetterPage(c *Console, w http.ResponseWriter, r *http.Request) {
	d, err := c.loadDeadLetter(r)
	if err != nil {
		c.loadFailed(w, r, err)
		return
	}
	c.showDeadLetter(w, r, http.StatusOK, d, "")
}

func (c *Console) showDeadLetter(w http.ResponseWriter, r *http.Request, status int, d queue.DeadEntry, problem string) {
	v := deadLetterView{D: readDeadLetter(d), CanRequeue: c.may(r, "POST /console/deadletters/{shard}/{id}/requeue"), Problem: problem}
	c.render(w, r, status, "deadletter", "dead.entry", v)
}

// requeueDeadLetter puts a dead letter's job back on the stream
// (queue.Producer.Requeue: once, atomically), after the cause is fixed. A
// job that cannot be read is refused: it would be dead-lettered again. It
// is in the audit log.
func requeueDeadLetter(c *Console, w http.ResponseWriter, r *http.Request) {
	d, err := c.loadDeadLetter(r)
	if err != nil {
		c.loadFailed(w, r, err)
		return
	}
	if readDeadLetter(d).Invalid != "" {
		c.showDeadLetter(w, r, http.StatusBadRequest, d, "dead.invalid")
		return
	}
	newID, err := c.cfg.DeadLetters.Requeue(r.Context(), d.Shard, d.ID)
	if isNotFound(err) {
		// Someone else re-queued it meanwhile.
		c.render(w, r, http.StatusConflict, "deadletters", "dead.title", deadLettersView{Configured: true, Error: "dead.gone"})
		return
	}
	if errors.Is(err, queue.ErrNoJob) {
		c.showDeadLetter(w, r, http.StatusBadRequest, d, "dead.invalid")
		return
	}
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	c.audit(r.Context(), outreach.AuditEntry{Actor: sessionOf(r).User.Login, Action: "deadletter_requeue",
		Target: fmt.Sprintf("%d/%s", d.Shard, d.ID), Detail: fmt.Sprintf("%s; job %s; new entry %s", d.Reason, d.SourceID, newID), Addr: clientAddr(r)})
	http.Redirect(w, r, "/console/deadletters?requeued="+newID, http.StatusSeeOther)
}
