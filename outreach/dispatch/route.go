package dispatch

import (
	"fmt"

	"github.com/outreach-dev/outreach/outreach"
)

// route picks the channel for one resident: the first channel, in the job's
// order or else the resident's preference order (or the default order), for
// which the resident has a contact and the daemon has a sender.
func route(job outreach.Job, r outreach.Resident, senders map[outreach.Channel]outreach.Sender) (outreach.Channel, error) {
	order := job.Channels
	if len(order) == 0 {
		order = r.Channels
	}
	if len(order) == 0 {
		order = outreach.AllChannels
	}
	for _, c := range order {
		if r.Contact(c) != "" && senders[c] != nil {
			return c, nil
		}
	}
	return "", &noChannelError{allowed: order, senders: senders, r: r}
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
