package dispatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/policy"
)

// estateCache holds every estate for a short time (EstateCacheTTL): each
// message speaks with its resident's estate, and a company has tens of
// estates, not thousands, so the whole list is read with one query per
// TTL rather than one per message or per job. An estate changed with
// `outreach estates set` reaches messages within the TTL.
type estateCache struct {
	store outreach.EstateStore
	ttl   time.Duration

	mu   sync.Mutex
	byID map[string]cachedEstate
	at   time.Time // when byID was read; zero: never
}

// cachedEstate is an estate with its quiet hours parsed.
type cachedEstate struct {
	outreach.Estate
	quiet    policy.QuietHours
	hasQuiet bool
}

func newEstateCache(store outreach.EstateStore, ttl time.Duration) *estateCache {
	return &estateCache{store: store, ttl: ttl}
}

// get returns the estate id ("" is the default estate), reading the list
// again when the cached one is older than the TTL or lacks id (an estate
// added since; at most once per tenth of the TTL, so a stream of jobs for
// an unknown estate does not become a stream of queries). ok is false for
// an estate that does not exist. When the store cannot answer, the list
// read last serves, and only a daemon that never read one fails.
func (c *estateCache) get(ctx context.Context, id string) (e cachedEstate, ok bool, err error) {
	if id == "" {
		id = outreach.DefaultEstateID
	}
	if c == nil { // a Dispatcher not made by New (tests): estates unknown, none refused
		return cachedEstate{Estate: outreach.Estate{ID: id}}, true, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	age := time.Since(c.at)
	e, ok = c.byID[id]
	switch {
	case c.at.IsZero():
	case ok && age < c.ttl:
		return e, true, nil
	case !ok && age < c.ttl/10:
		return e, false, nil
	}
	if err := c.load(ctx); err != nil {
		if c.at.IsZero() {
			return cachedEstate{}, false, err
		}
		e, ok = c.byID[id] // the last list read, rather than no message
		return e, ok, nil
	}
	e, ok = c.byID[id]
	return e, ok, nil
}

// peek returns the cached estate id without reading the store: for the
// stages after lookUp, which checked that the job's estates exist.
func (c *estateCache) peek(id string) cachedEstate {
	if id == "" {
		id = outreach.DefaultEstateID
	}
	if c == nil {
		return cachedEstate{Estate: outreach.Estate{ID: id}}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[id]; ok {
		return e
	}
	return cachedEstate{Estate: outreach.Estate{ID: id}}
}

// load reads every estate; c.mu is held.
func (c *estateCache) load(ctx context.Context) error {
	list, err := c.store.Estates(ctx)
	if err != nil {
		return fmt.Errorf("read estates: %w", err)
	}
	byID := make(map[string]cachedEstate, len(list))
	for _, e := range list {
		ce := cachedEstate{Estate: e}
		if e.QuietHours != "" {
			// The stores check quiet hours when an estate is written; one
			// that does not parse keeps the daemon's.
			if q, err := policy.ParseQuietHours(e.QuietHours); err == nil {
				ce.quiet, ce.hasQuiet = q, true
			}
		}
		byID[e.ID] = ce
	}
	c.byID, c.at = byID, time.Now()
	return nil
}

// checkEstates is part of the audience stage: every estate the job names
// (its inline resident's, its audience's) and every estate of its
// residents must exist, and is then in the cache for the stages after.
// An unknown one rejects the job (unknown_estate); a store that cannot
// answer is an error to retry.
func (d *Dispatcher) checkEstates(ctx context.Context, job outreach.Job, residents []outreach.Resident) error {
	var named []string
	if job.Resident != nil {
		named = append(named, job.Resident.EstateID())
	}
	if job.Audience != nil && job.Audience.Estate != "" {
		named = append(named, job.Audience.Estate)
	}
	for _, r := range residents {
		named = append(named, r.EstateID())
	}
	seen := make(map[string]bool, 2)
	for _, id := range named {
		if seen[id] {
			continue
		}
		seen[id] = true
		if _, ok, err := d.estates.get(ctx, id); err != nil {
			return fmt.Errorf("look up estate: %w", err)
		} else if !ok {
			return unknownEstate(id)
		}
	}
	return nil
}

func unknownEstate(id string) error {
	return outreach.Reject(outreach.ReasonUnknownEstate, fmt.Errorf("estate %q: %w", id, outreach.ErrUnknownEstate))
}

// asUnknownEstate turns a store's refusal of an unknown estate (an inline
// resident's, written before checkEstates could see it) into the
// rejection; other errors pass unchanged.
func asUnknownEstate(err error, id string) error {
	if errors.Is(err, outreach.ErrUnknownEstate) {
		return unknownEstate(id)
	}
	return err
}
