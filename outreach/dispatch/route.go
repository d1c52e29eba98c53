package dispatch

import (
	"fmt"
	"slices"

	"github.com/outreach-dev/outreach/outreach"
)

// order is the channels a job may use for resident r, in order: the job's
// person channels (email, sms), else the resident's preference, else the
// default order. A job that names only chat channels reaches no resident:
// the order is empty.
func order(job outreach.Job, r outreach.Resident) []outreach.Channel {
	if len(job.Channels) > 0 {
		var out []outreach.Channel
		for _, c := range job.Channels {
			if !c.Group() {
				out = append(out, c)
			}
		}
		return out
	}
	if len(r.Channels) > 0 {
		return r.Channels
	}
	return outreach.AllChannels
}

// groupOnly reports whether the job names channels and all of them are
// chat channels: it goes to groups only.
func groupOnly(job outreach.Job) bool {
	return len(job.Channels) > 0 && !slices.ContainsFunc(job.Channels, func(c outreach.Channel) bool { return !c.Group() })
}

// route picks, from the allowed channels in order, those for which the
// resident has a contact and the daemon has a sender. None is a
// *noChannelError, which is permanent.
func route(allowed []outreach.Channel, r outreach.Resident, senders map[outreach.Channel]outreach.Sender) ([]outreach.Channel, error) {
	var usable []outreach.Channel
	for _, c := range allowed {
		if r.Contact(c) != "" && senders[c] != nil && !slices.Contains(usable, c) {
			usable = append(usable, c)
		}
	}
	if len(usable) == 0 {
		return nil, &noChannelError{allowed: allowed, senders: senders, r: r}
	}
	return usable, nil
}

// allAtOnce reports whether job goes by every usable channel at once
// rather than by the first that works: an urgent maintenance notice, when
// the daemon is configured so (OUTREACH_URGENT_ALL_CHANNELS).
func (d *Dispatcher) allAtOnce(job outreach.Job) bool {
	return d.cfg.UrgentAllChannels && job.Kind == outreach.KindMaintenanceNotice &&
		job.EffectivePriority() == outreach.PriorityUrgent
}

// renderChannel is the template version a channel sends: chat posts use
// the email version (subject and plain text), the long form of a notice.
func renderChannel(ch outreach.Channel) outreach.Channel {
	if ch.Group() {
		return outreach.ChannelEmail
	}
	return ch
}

// noChannelError says why no channel could be used; it is permanent.
type noChannelError struct {
	allowed []outreach.Channel
	senders map[outreach.Channel]outreach.Sender
	r       outreach.Resident
}

func (e *noChannelError) Error() string {
	var why []string
	for _, c := range e.allowed {
		switch {
		case e.r.Contact(c) == "":
			why = append(why, fmt.Sprintf("%s: resident has no contact", c))
		case e.senders[c] == nil:
			why = append(why, fmt.Sprintf("%s: channel not configured", c))
		}
	}
	return fmt.Sprintf("no usable channel (%v)", why)
}
