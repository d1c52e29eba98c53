package policy

import (
	"fmt"
	"sync"
	"time"
)

// Zones resolves residents' time zone names. It caches what it loaded, so
// a bulk campaign does not parse zone data once per resident. It is safe
// for concurrent use.
type Zones struct {
	def   *time.Location
	cache sync.Map // name -> *time.Location
}

// NewZones returns zones whose default, for residents without a zone of
// their own, is def (UTC when nil).
func NewZones(def *time.Location) *Zones {
	if def == nil {
		def = time.UTC
	}
	return &Zones{def: def}
}

// Default is the zone of residents without one of their own.
func (z *Zones) Default() *time.Location { return z.def }

// Get returns the zone called name (IANA, e.g. "Asia/Shanghai"): the
// default for "", and the default with an error for a name it does not
// know, so that one bad profile neither stops a send nor goes unnoticed.
func (z *Zones) Get(name string) (*time.Location, error) {
	if name == "" {
		return z.def, nil
	}
	if loc, ok := z.cache.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return z.def, fmt.Errorf("unknown time zone %q, using %s: %w", name, z.def, err)
	}
	z.cache.Store(name, loc)
	return loc, nil
}
