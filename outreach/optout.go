package outreach

import (
	"errors"
	"fmt"
	"strings"
)

// ParseOptOut reads the name of an opt-out as the CLI and the HTTP API take
// it: a channel ("sms", "email") or a kind ("holiday_greeting"). Exactly one
// of the results is set. The names of channels and kinds do not overlap.
func ParseOptOut(name string) (Channel, Kind, error) {
	s := strings.ToLower(strings.TrimSpace(name))
	if c := Channel(s); c.Valid() {
		return c, "", nil
	}
	if k := Kind(s); k.Valid() {
		return "", k, nil
	}
	return "", "", fmt.Errorf("unknown opt-out %q (want a channel: email, sms; or a kind: %s)", name, joinKinds())
}

// CheckOptOut reports an error unless exactly one of c and k is set and
// the one that is set is known: the arguments of Store.SetOptOut.
func CheckOptOut(c Channel, k Kind) error {
	switch {
	case c == "" && k == "":
		return errors.New("opt-out names neither a channel nor a kind")
	case c != "" && k != "":
		return errors.New("opt-out names both a channel and a kind; give one")
	case c != "" && !c.Valid():
		return fmt.Errorf("unknown channel %q (want email or sms)", c)
	case k != "" && !k.Valid():
		return fmt.Errorf("unknown kind %q (want one of %s)", k, joinKinds())
	}
	return nil
}
