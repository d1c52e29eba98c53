package console

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/resident"
)

// MaxUpload bounds a file of residents sent to the import page (an XLSX
// of 100000 residents is about 6 MB).
const MaxUpload = 32 << 20

// importTTL is how long an import's report is kept for its page.
const importTTL = time.Hour

// maxImports bounds the imports kept at once (their good rows wait in
// memory for the confirmation).
const maxImports = 50

// The phases of an import.
const (
	phaseReading  = "reading"  // the file is being read
	phaseChecking = "checking" // the ids are being looked up
	phaseReady    = "ready"    // read, with bad rows: waiting for the user's decision, nothing written
	phaseWritten  = "written"  // the good rows are stored
	phaseFailed   = "failed"   // the file cannot be used at all, or the write failed
)

// importJob is one file being imported, kept in memory by the daemon that
// received it (its page polls that daemon: behind a load balancer the
// console wants sticky sessions for the import to be followed).
type importJob struct {
	ID, Owner, Actor, File, Addr string
	Format                       resident.Format
	Started                      time.Time
	done, total                  atomic.Int64

	mu     sync.Mutex
	phase  string
	res    resident.Result
	errKey string // phaseFailed: the message key
	detail string // phaseFailed: the parser's own words (English; no phones or emails)
	// refused are good rows whose id is a resident of an estate the user
	// does not see: importing them would take the resident over.
	refused []string
	written *outreach.ImportResult
}

type importFormView struct {
	Estates []outreach.Estate
	Estate  string
	Errors  map[string]string
	Max     int
}

// importPage is the form that uploads a CSV or XLSX file of residents.
func importPage(c *Console, w http.ResponseWriter, r *http.Request) {
	c.showImportForm(w, r, http.StatusOK, "", nil)
}

func (c *Console) showImportForm(w http.ResponseWriter, r *http.Request, status int, estate string, errs map[string]string) {
	estates, err := c.visibleEstates(r)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	if errs == nil {
		errs = map[string]string{}
	}
	c.render(w, r, status, "import", "import.title", importFormView{Estates: estates, Estate: estate, Errors: errs, Max: MaxUpload >> 20})
}

// startImport takes the file, checks the form (a file; for a user limited
// to estates, which of theirs the rows that name none belong to) and
// starts reading it in the background; its page shows the progress, then
// the bad rows by line. Nothing is written while the file is read. A file
// without bad rows is written at once (one transaction); one with bad rows
// waits for the user to import the good rows or fix the file.
func startImport(c *Console, w http.ResponseWriter, r *http.Request) {
	u := sessionOf(r).User
	errs := map[string]string{}
	estate := r.PostFormValue("estate")
	estates, err := c.visibleEstates(r)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	ids := make([]string, len(estates))
	for i, e := range estates {
		ids[i] = e.ID
	}
	switch {
	case estate != "" && !slices.Contains(ids, estate):
		errs["estate"] = "error.choice"
	case estate == "" && u.Limited() && len(ids) == 1:
		estate = ids[0]
	case estate == "" && u.Limited():
		errs["estate"] = "import.error.estate"
	}
	var data []byte
	name := ""
	file, hdr, err := r.FormFile("file")
	switch {
	case errors.Is(err, http.ErrMissingFile) || (err == nil && hdr.Size == 0):
		errs["file"] = "import.error.nofile"
	case err != nil:
		errs["file"] = "error.form"
	default:
		defer file.Close()
		name = filepath.Base(hdr.Filename)
		if data, err = io.ReadAll(file); err != nil {
			c.serverError(w, r, err)
			return
		}
	}
	var format resident.Format
	if data != nil {
		if format, err = resident.DetectFormat(name, data[:min(len(data), resident.SniffLen)]); err != nil {
			errs["file"] = "import.error.format"
		}
	}
	if len(errs) > 0 {
		c.showImportForm(w, r, http.StatusBadRequest, estate, errs)
		return
	}
	job := &importJob{ID: randomToken()[:22], Owner: u.ID, Actor: u.Login, File: name, Addr: clientAddr(r), Format: format, Started: c.now(), phase: phaseReading}
	c.mu.Lock()
	if c.imports == nil {
		c.imports = map[string]*importJob{}
	}
	for id, j := range c.imports {
		if c.now().Sub(j.Started) > importTTL {
			delete(c.imports, id)
		}
	}
	if len(c.imports) >= maxImports {
		c.mu.Unlock()
		c.showImportForm(w, r, http.StatusServiceUnavailable, estate, map[string]string{"file": "import.error.busy"})
		return
	}
	c.imports[job.ID] = job
	c.mu.Unlock()

	opt := resident.Options{DefaultRegion: c.cfg.PhoneRegion, DefaultEstate: estate, Estates: ids,
		Progress: func(done, total int64) { job.done.Store(done); job.total.Store(total) }}
	// The reading outlives the request (its page polls), not the console
	// (Close) nor ten minutes.
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Minute)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer cancel()
		c.runImport(ctx, job, data, opt, u)
	}()
	http.Redirect(w, r, "/console/import/"+job.ID, http.StatusSeeOther)
}

// runImport reads the file, checks that no good row takes over a resident
// of an estate the user does not see, and writes the rows when none is
// bad.
func (c *Console) runImport(ctx context.Context, job *importJob, data []byte, opt resident.Options, u outreach.ConsoleUser) {
	var (
		res resident.Result
		err error
	)
	if job.Format == resident.FormatXLSX {
		res, err = resident.ParseXLSX(bytes.NewReader(data), opt)
	} else {
		res, err = resident.ParseCSV(bytes.NewReader(data), opt)
	}
	if err != nil {
		job.fail("import.error.file", err)
		return
	}
	job.mu.Lock()
	job.res, job.phase = res, phaseChecking
	job.mu.Unlock()
	var refused []string
	if u.Limited() {
		for chunk := range slices.Chunk(res.Residents, 500) {
			ids := make([]string, len(chunk))
			for i, r := range chunk {
				ids[i] = r.ID
			}
			found, err := c.cfg.Store.ResidentsByID(ctx, ids)
			if err != nil {
				job.fail("error.internal", err)
				return
			}
			for _, id := range ids {
				if r, ok := found[id]; ok && !u.Sees(r.EstateID()) {
					refused = append(refused, id)
				}
			}
		}
	}
	job.mu.Lock()
	job.refused, job.phase = refused, phaseReady
	clean := len(res.Errors) == 0 && len(refused) == 0 && len(res.Residents) > 0
	job.mu.Unlock()
	if clean {
		c.writeImport(ctx, job)
	}
}

func (j *importJob) fail(key string, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.phase, j.errKey, j.detail = phaseFailed, key, err.Error()
}

// writeImport stores the good rows that are not refused, in one
// transaction, and records it in the audit log. The caller has checked
// that the job is ready.
func (c *Console) writeImport(ctx context.Context, job *importJob) {
	job.mu.Lock()
	rows := slices.DeleteFunc(slices.Clone(job.res.Residents), func(r outreach.Resident) bool { return slices.Contains(job.refused, r.ID) })
	bad := len(job.res.Errors)
	job.mu.Unlock()
	n, err := c.cfg.Store.UpsertResidents(ctx, rows)
	if err != nil {
		c.cfg.Logger.Error("console: import", "file_rows", len(rows), "err", err)
		job.fail("import.error.write", err)
		return
	}
	job.mu.Lock()
	job.written, job.phase = &n, phaseWritten
	job.mu.Unlock()
	c.audit(ctx, outreach.AuditEntry{Actor: job.Actor, Action: "residents_import", Target: job.File,
		Detail: fmt.Sprintf("%d added, %d updated; %d bad rows and %d refused left out", n.Added, n.Updated, bad, len(job.refused)), Addr: job.Addr})
}

// badRow is one problem of the file as the page lists it.
type badRow struct {
	Line       int
	ID, Field  string
	Key, Error string // the message key of the reason, or "" and the parser's words
}

type importView struct {
	ID, File, Phase   string
	Done, Total       int64
	Percent           int
	Rows, Good        int
	Bad               []badRow
	BadLines          int
	Refused           []string
	Written           *outreach.ImportResult
	ErrKey, ErrDetail string
	Running           bool
	// Stale: the confirmation came for an import no longer waiting for it.
	Stale bool
}

// reasonKeys translate the kinds of row problems (resident.RowError.Err).
var reasonKeys = []struct {
	err error
	key string
}{
	{resident.ErrRequired, "import.reason.required"},
	{resident.ErrDuplicateID, "import.reason.duplicate"},
	{resident.ErrFieldCount, "import.reason.fields"},
	{resident.ErrQuoting, "import.reason.quoting"},
	{resident.ErrEncoding, "import.reason.encoding"},
	{resident.ErrInvalidPhone, "import.reason.phone"},
	{resident.ErrInvalidEmail, "import.reason.email"},
	{resident.ErrInvalidLocale, "import.reason.locale"},
	{resident.ErrUnknownChannel, "import.reason.channel"},
	{resident.ErrUnnamedColumn, "import.reason.unnamed"},
	{outreach.ErrUnknownEstate, "import.reason.estate"},
}

func (j *importJob) view() importView {
	j.mu.Lock()
	defer j.mu.Unlock()
	v := importView{ID: j.ID, File: j.File, Phase: j.phase, Done: j.done.Load(), Total: j.total.Load(),
		Rows: j.res.Rows, Good: len(j.res.Residents) - len(j.refused), Refused: j.refused, Written: j.written,
		ErrKey: j.errKey, ErrDetail: j.detail, Running: j.phase == phaseReading || j.phase == phaseChecking}
	if v.Total > 0 {
		v.Percent = int(min(100, v.Done*100/v.Total))
	}
	if !v.Running {
		v.Percent = 100
	}
	lines := map[int]bool{}
	for _, e := range j.res.Errors {
		b := badRow{Line: e.Line, ID: e.ID, Field: e.Field, Error: e.Err.Error()}
		for _, rk := range reasonKeys {
			if errors.Is(e.Err, rk.err) {
				b.Key = rk.key
				break
			}
		}
		v.Bad = append(v.Bad, b)
		lines[e.Line] = true
	}
	v.BadLines = len(lines)
	slices.SortStableFunc(v.Bad, func(a, b badRow) int { return cmp.Compare(a.Line, b.Line) })
	return v
}

// job is the import of the request's {id}, or nil (after answering 404)
// when it is not the user's: another user's import is not found.
func (c *Console) job(w http.ResponseWriter, r *http.Request) *importJob {
	c.mu.Lock()
	j := c.imports[r.PathValue("id")]
	c.mu.Unlock()
	if j == nil || j.Owner != sessionOf(r).User.ID {
		c.notFound(w, r)
		return nil
	}
	return j
}

// importStatus is an import's page: a progress bar while the file is read
// (htmx asks again every half second; without JavaScript the page
// reloads), then what was found: the bad rows by line, and what was
// written or the button that writes the good rows.
func importStatus(c *Console, w http.ResponseWriter, r *http.Request) {
	j := c.job(w, r)
	if j == nil {
		return
	}
	c.render(w, r, http.StatusOK, "importstatus", "import.title", j.view())
}

// commitImport writes the good rows of an import that has bad ones, after
// the user has seen them. Sent twice, or for an import that is not
// waiting, it writes nothing and says so.
func commitImport(c *Console, w http.ResponseWriter, r *http.Request) {
	j := c.job(w, r)
	if j == nil {
		return
	}
	j.mu.Lock()
	ready := j.phase == phaseReady && len(j.res.Residents) > len(j.refused)
	if ready {
		j.phase = phaseChecking // taken: a second confirmation finds it not ready
	}
	j.mu.Unlock()
	if !ready {
		v := j.view()
		v.Stale = true
		c.render(w, r, http.StatusConflict, "importstatus", "import.title", v)
		return
	}
	c.writeImport(r.Context(), j)
	http.Redirect(w, r, "/console/import/"+j.ID, http.StatusSeeOther)
}

// Wait waits for the imports being read in the background to end.
func (c *Console) Wait() { c.wg.Wait() }

// Close stops the imports being read (what they had not written yet is
// not written) and waits for them: the daemon's shutdown.
func (c *Console) Close() {
	c.cancel()
	c.wg.Wait()
}
