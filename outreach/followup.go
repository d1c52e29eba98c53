package outreach

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"
	"unicode/utf8"
)

// MaxFollowUpDelay bounds FollowUp.After: a follow-up further out than this
// is a mistake in the enqueuing service, not a plan.
const MaxFollowUpDelay = 90 * 24 * time.Hour

// FollowUp is a job that the daemon schedules by itself when the job that
// carries it is sent to a resident: e.g. a satisfaction callback 24 h after
// a work order is closed, or a complaint follow-up 48 h after it was
// resolved. In JSON:
//
//	"follow_up": {"kind": "satisfaction_callback", "after": "24h", "data": {"service": "lift repair"}}
//
// The follow-up goes to the same resident, After the message was sent,
// through the delayed set (so it survives restarts and passes the policy
// stage like any job, quiet hours included). Its data is the job's data
// with Data on top; its id is the job's id + ":follow_up:" + the resident's
// id, so it is scheduled and sent once however often the job is redelivered.
// A follow-up carries no follow-up of its own.
type FollowUp struct {
	Kind     Kind           `json:"kind"`
	After    Duration       `json:"after"`
	Data     map[string]any `json:"data,omitempty"`
	Template string         `json:"template,omitempty"`
	Channels []Channel      `json:"channels,omitempty"`
	Priority Priority       `json:"priority,omitempty"`
}

func (f FollowUp) validate() error {
	switch {
	case f.Kind == "":
		return errors.New(`no "kind"`)
	case !f.Kind.Valid():
		return fmt.Errorf("unknown kind %q (want one of %s)", f.Kind, joinKinds())
	case f.After <= 0:
		return errors.New(`"after" must be a positive duration such as "24h"`)
	case time.Duration(f.After) > MaxFollowUpDelay:
		return fmt.Errorf(`"after" %s is longer than %s`, time.Duration(f.After), MaxFollowUpDelay)
	case !f.Priority.Valid():
		return fmt.Errorf("unknown priority %q (want urgent, normal or bulk)", f.Priority)
	}
	for _, c := range f.Channels {
		if !c.Valid() {
			return fmt.Errorf("unknown channel %q (want email or sms)", c)
		}
	}
	return nil
}

// FollowUpJob is the follow-up of job for resident residentID, due at
// sentAt + After. It returns false when job has no follow-up.
func (j Job) FollowUpJob(residentID string, sentAt time.Time) (Job, bool) {
	f := j.FollowUp
	if f == nil {
		return Job{}, false
	}
	var data map[string]any
	if len(j.Data)+len(f.Data) > 0 {
		data = maps.Clone(j.Data)
		if data == nil {
			data = map[string]any{}
		}
		maps.Copy(data, f.Data)
	}
	at := sentAt.Add(time.Duration(f.After)).UTC().Truncate(time.Second) // stable whatever the clock's precision
	return Job{
		ID:         FollowUpID(j.ID, residentID),
		Kind:       f.Kind,
		ResidentID: residentID,
		Data:       data,
		Template:   f.Template,
		Channels:   f.Channels,
		SendAt:     &at,
		Priority:   f.Priority,
		Campaign:   j.Campaign,
	}, true
}

// FollowUpID is the id of the follow-up of job jobID for residentID. It is
// bounded to the 200 characters a job id may have.
func FollowUpID(jobID, residentID string) string {
	return BoundJobID(jobID + ":follow_up:" + residentID)
}

// BoundJobID returns id, or when it is longer than a job id may be (200
// bytes), a prefix of it followed by a hash of the whole, so that distinct
// ids stay distinct.
func BoundJobID(id string) string {
	const limit = 200
	if len(id) <= limit {
		return id
	}
	n := limit - 33 // room for "~" and the 32 hex digits of the hash
	for n > 0 && !utf8.RuneStart(id[n]) {
		n-- // never cut a character in two
	}
	return id[:n] + "~" + DeliveryID(id, "", "")
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("24h", "90m").
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "24h0m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string such as "24h" or "1h30m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf(`want a duration string such as "24h": %w`, err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
