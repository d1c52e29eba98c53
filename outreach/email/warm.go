package email

import (
	"context"
	"fmt"
)

// Warm connects one slot of the pool, if none is connected, and puts it
// first in line: the next message goes out on it without dialling (and
// greeting, upgrading, authenticating). The daemon calls it at start, so
// that a campaign started on an idle daemon does not pay the dial with
// its first message. Slots in use are left alone. A failed dial is
// returned and leaves the slot as it was (the first message dials then).
func (s *Sender) Warm(ctx context.Context) error {
	var slots []*conn
	defer func() {
		for _, c := range slots {
			s.release(c)
		}
	}()
	for len(slots) < s.size {
		select {
		case <-s.done:
			return ErrClosed
		case c := <-s.idle:
			slots = append(slots, c)
			continue
		default:
		}
		break
	}
	if len(slots) == 0 {
		return nil // every slot is sending
	}
	for i, c := range slots {
		if c.connected() { // first in line
			slots[0], slots[i] = slots[i], slots[0]
			return nil
		}
	}
	if err := slots[0].connect(ctx); err != nil {
		return fmt.Errorf("warm SMTP connection to %s: %w", s.settings.addr(), err)
	}
	return nil
}
