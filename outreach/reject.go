package outreach

import "errors"

// Reason says why a job was rejected; it is the dead-letter reason and a
// metric label, so it is a short stable token.
type Reason string

// Rejection reasons.
const (
	ReasonNoJobField       Reason = "no_job_field"
	ReasonBadJSON          Reason = "bad_json"
	ReasonMissingKind      Reason = "missing_kind"
	ReasonUnknownKind      Reason = "unknown_kind"
	ReasonInvalidJob       Reason = "invalid_job"
	ReasonUnknownResident  Reason = "unknown_resident"
	ReasonTemplateError    Reason = "template_error"
	ReasonRetriesExhausted Reason = "retries_exhausted"
	// ReasonUnknownEstate: the job's inline resident or audience names an
	// estate that does not exist.
	ReasonUnknownEstate Reason = "unknown_estate"
	// ReasonInternal: processing the entry panicked; a bug, kept for a human.
	ReasonInternal Reason = "internal_error"
	// ReasonClaimedTooOften: the entry was claimed from consumers that never
	// settled it more often than allowed (OUTREACH_MAX_CLAIMS); most likely
	// it crashes every daemon that processes it.
	ReasonClaimedTooOften Reason = "claimed_too_often"
)

// Reasons lists every rejection reason (to pre-initialize metrics).
var Reasons = []Reason{
	ReasonNoJobField, ReasonBadJSON, ReasonMissingKind, ReasonUnknownKind,
	ReasonInvalidJob, ReasonUnknownResident, ReasonUnknownEstate, ReasonTemplateError, ReasonRetriesExhausted,
	ReasonInternal, ReasonClaimedTooOften,
}

// RejectError marks a job that can never be processed: it goes to the
// dead-letter stream with its reason.
type RejectError struct {
	Reason Reason
	Err    error
}

// Reject wraps err as a rejection for reason.
func Reject(reason Reason, err error) error { return &RejectError{Reason: reason, Err: err} }

func (e *RejectError) Error() string { return string(e.Reason) + ": " + e.Err.Error() }
func (e *RejectError) Unwrap() error { return e.Err }

// RejectReason returns the reason when err is (or wraps) a *RejectError.
func RejectReason(err error) (Reason, bool) {
	var re *RejectError
	if errors.As(err, &re) {
		return re.Reason, true
	}
	return "", false
}
