// Package outreach holds the domain of the outreach daemon: jobs, residents,
// deliveries, and the interfaces that the stores and channels implement.
// It depends on nothing but the standard library so that every other package
// (queue, templates, channels, stores, dispatch) can share these types.
package outreach

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind is what a job is about. It selects the built-in template.
type Kind string

// The kinds of communication that outreach knows.
const (
	KindHolidayGreeting      Kind = "holiday_greeting"
	KindMaintenanceNotice    Kind = "maintenance_notice"
	KindSatisfactionCallback Kind = "satisfaction_callback"
	KindFollowUp             Kind = "follow_up"
	// KindWelcome greets a new resident: move-in information, office
	// hours, how to reach the office.
	KindWelcome Kind = "welcome"
	// KindEscalation tells staff about a complaint or fault that needs
	// action; its recipients are staff profiles in the resident directory.
	KindEscalation Kind = "escalation"
)

// Kinds lists every known kind, in a stable order (for metrics and docs).
var Kinds = []Kind{KindHolidayGreeting, KindMaintenanceNotice, KindSatisfactionCallback, KindFollowUp, KindWelcome, KindEscalation}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Priority orders jobs; urgent ones bypass quiet hours and caps.
type Priority string

// Priorities.
const (
	PriorityUrgent Priority = "urgent"
	PriorityNormal Priority = "normal"
	PriorityBulk   Priority = "bulk"
)

// Valid reports whether p is empty (the default, normal) or a known priority.
func (p Priority) Valid() bool {
	switch p {
	case "", PriorityUrgent, PriorityNormal, PriorityBulk:
		return true
	}
	return false
}

// Audience selects residents for a job that is not addressed to one resident.
// Set fields combine with AND; All selects everyone.
type Audience struct {
	All bool `json:"all,omitempty"`
	// Estate limits the audience to one estate's residents; buildings and
	// units are within it (building 3 of one estate is not building 3 of
	// another).
	Estate   string   `json:"estate,omitempty"`
	Building string   `json:"building,omitempty"`
	Unit     string   `json:"unit,omitempty"`
	Tags     []string `json:"tags,omitempty"` // a resident must carry every tag
	Locale   string   `json:"locale,omitempty"`
}

// Empty reports whether the audience selects nobody.
func (a Audience) Empty() bool {
	return !a.All && a.Estate == "" && a.Building == "" && a.Unit == "" && len(a.Tags) == 0 && a.Locale == ""
}

// Matches reports whether r is in the audience.
func (a Audience) Matches(r Resident) bool {
	if a.Empty() {
		return false
	}
	if a.Estate != "" && r.EstateID() != a.Estate {
		return false
	}
	if a.Building != "" && r.Building != a.Building {
		return false
	}
	if a.Unit != "" && r.Unit != a.Unit {
		return false
	}
	if a.Locale != "" && r.Locale != a.Locale {
		return false
	}
	for _, t := range a.Tags {
		if !r.HasTag(t) {
			return false
		}
	}
	return true
}

// Job is one unit of work on the stream: `XADD outreach:jobs * job <JSON>`.
// Its JSON form is the contract with other services (see docs/design.md).
type Job struct {
	ID         string         `json:"id,omitempty"`
	Kind       Kind           `json:"kind"`
	ResidentID string         `json:"resident_id,omitempty"`
	Audience   *Audience      `json:"audience,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
	Template   string         `json:"template,omitempty"`
	Channels   []Channel      `json:"channels,omitempty"`
	SendAt     *time.Time     `json:"send_at,omitempty"`
	Priority   Priority       `json:"priority,omitempty"`
	Campaign   string         `json:"campaign,omitempty"`
	// FollowUp, when set, is scheduled by the daemon for each resident the
	// job is sent to (see FollowUp).
	FollowUp *FollowUp `json:"follow_up,omitempty"`
	// Resident is an inline profile, instead of resident_id or audience,
	// for services that own their residents' profiles: the job goes to this
	// resident, who is added to (or replaced in) the directory first. See
	// ValidateInline.
	Resident *Resident `json:"resident,omitempty"`
}

// DecodeJob parses and validates the JSON of a job. Its errors are
// *RejectError values whose Reason says why (bad_json, missing_kind, ...).
// Unknown fields are rejected so that a typo in a field name is an error the
// sender sees in the dead-letter stream, not a silently ignored override.
func DecodeJob(raw []byte) (Job, error) {
	var j Job
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&j); err != nil {
		return Job{}, Reject(ReasonBadJSON, fmt.Errorf("decode job JSON: %w", err))
	}
	if dec.More() {
		return Job{}, Reject(ReasonBadJSON, errors.New("decode job JSON: trailing data after the object"))
	}
	if err := j.Validate(); err != nil {
		return Job{}, err
	}
	return j, nil
}

// Validate checks the job against the contract. Its errors are *RejectError.
func (j Job) Validate() error {
	switch {
	case j.Kind == "":
		return Reject(ReasonMissingKind, errors.New(`job has no "kind"`))
	case !j.Kind.Valid():
		return Reject(ReasonUnknownKind, fmt.Errorf("unknown kind %q (want one of %s)", j.Kind, joinKinds()))
	case j.targets() == 0:
		return Reject(ReasonInvalidJob, errors.New(`job has none of "resident_id", "audience" and "resident"; give one`))
	case j.targets() > 1:
		return Reject(ReasonInvalidJob, errors.New(`job has more than one of "resident_id", "audience" and "resident"; give one`))
	case j.Audience != nil && j.Audience.Empty():
		return Reject(ReasonInvalidJob, errors.New(`"audience" selects nobody; use {"all":true} for everyone`))
	case !j.Priority.Valid():
		return Reject(ReasonInvalidJob, fmt.Errorf("unknown priority %q (want urgent, normal or bulk)", j.Priority))
	case len(j.ID) > 200:
		return Reject(ReasonInvalidJob, errors.New(`"id" is longer than 200 characters`))
	}
	for _, c := range j.Channels {
		if !c.Valid() {
			return Reject(ReasonInvalidJob, fmt.Errorf("unknown channel %q (want one of %s)", c, joinChannels()))
		}
	}
	if j.FollowUp != nil {
		if err := j.FollowUp.validate(); err != nil {
			return Reject(ReasonInvalidJob, fmt.Errorf(`"follow_up": %w`, err))
		}
	}
	if j.Resident != nil {
		if err := ValidateInline(*j.Resident); err != nil {
			return Reject(ReasonInvalidJob, fmt.Errorf(`inline "resident": %w`, err))
		}
	}
	return nil
}

// targets counts how many of resident_id, audience and resident are set.
func (j Job) targets() int {
	n := 0
	for _, set := range []bool{j.ResidentID != "", j.Audience != nil, j.Resident != nil} {
		if set {
			n++
		}
	}
	return n
}

// ValidateInline checks what can be checked of a job's inline resident
// without the phone and locale data the resident package has: an id (at
// most 200 bytes), a name, an email or a phone, a phone written with its
// country code ("+86 138 0013 8000": daemons in different regions must
// read it alike), and known channels and opt-outs. The dispatcher then
// validates it fully and normalizes it (phone to E.164) before it is
// stored or used; what fails there is rejected as invalid_job too.
func ValidateInline(r Resident) error {
	switch {
	case strings.TrimSpace(r.ID) == "":
		return errors.New(`"id" is required`)
	case len(r.ID) > 200:
		return errors.New(`"id" is longer than 200 characters`)
	case strings.TrimSpace(r.Name) == "":
		return errors.New(`"name" is required`)
	case strings.TrimSpace(r.Email) == "" && strings.TrimSpace(r.Phone) == "":
		return errors.New(`an "email" or a "phone" is required`)
	case r.Phone != "" && !strings.HasPrefix(strings.TrimSpace(r.Phone), "+"):
		return errors.New(`"phone" must start with "+" and its country code`)
	}
	for _, c := range slices.Concat(r.Channels, r.OptOutChannels) {
		if !c.Valid() || c.Group() { // a chat channel posts to a group, never to one resident
			return fmt.Errorf("unknown channel %q (want email or sms)", c)
		}
	}
	for _, k := range r.OptOutKinds {
		if !k.Valid() {
			return fmt.Errorf("unknown kind %q in \"opt_out_kinds\"", k)
		}
	}
	return nil
}

// EffectivePriority is the job's priority, normal when unset.
func (j Job) EffectivePriority() Priority {
	if j.Priority == "" {
		return PriorityNormal
	}
	return j.Priority
}

func joinChannels() string {
	s := make([]string, len(KnownChannels))
	for i, c := range KnownChannels {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

func joinKinds() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
