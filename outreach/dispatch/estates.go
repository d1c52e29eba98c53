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
// again when the cached one is older than the TTL. An id the list lacks is
// looked up alone (an estate added since the list was read: a job for it
// must not be refused), so only jobs naming estates that do not exist
// cost a query each. ok is false for an estate that does not exist. When
// the store cannot answer, the list read last serves, and only a daemon
// that never read one fails.
func (c *estateCache) get(ctx context.Context, id string) (e cachedEstate, ok bool, err error) {
	if id == "" {
		id = outreach.DefaultEstateID
	}
	if c == nil { // a Dispatcher not made by New (tests): estates unknown, none refused
		return cachedEstate{Estate: outreach.Estate{ID: id}}, true, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() || time.Since(c.at) >= c.ttl {
		if err := c.load(ctx); err != nil && c.at.IsZero() {
			return cachedEstate{}, false, err
		} // else the list read last serves
	}
	if e, ok = c.byID[id]; ok {
		return e, true, nil
	}
	one, err := c.store.Estate(ctx, id)
	switch {
	case errors.Is(err, outreach.ErrNotFound):
		return cachedEstate{}, false, nil
	case err != nil:
		return cachedEstate{}, false, fmt.Errorf("read estate %q: %w", id, err)
	}
	e = parsed(one)
	c.byID[id] = e
	return e, true, nil
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

// refresh reads the estate list again, outside the lock, so that get
// finds it fresh: the dispatcher calls it at start and every TTL/2
// (refreshEstates), and the first message after an idle spell (the first
// of a campaign) does not wait for the list, nor do the messages behind
// it for the lock. A failed read leaves the list as it was; get reads it
// itself once that is older than the TTL.
func (c *estateCache) refresh(ctx context.Context) error {
	byID, err := c.read(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.byID, c.at = byID, time.Now()
	c.mu.Unlock()
	return nil
}

// load reads every estate; c.mu is held.
func (c *estateCache) load(ctx context.Context) error {
	byID, err := c.read(ctx)
	if err != nil {
		return err
	}
	c.byID, c.at = byID, time.Now()
	return nil
}

// read reads every estate from the store, by id.
func (c *estateCache) read(ctx context.Context) (map[string]cachedEstate, error) {
	list, err := c.store.Estates(ctx)
	if err != nil {
		return nil, fmt.Errorf("read estates: %w", err)
	}
	byID := make(map[string]cachedEstate, len(list))
	for _, e := range list {
		byID[e.ID] = parsed(e)
	}
	return byID, nil
}

// parsed is e with its quiet hours parsed. The stores check quiet hours
// when an estate is written; ones that do not parse keep the daemon's.
func parsed(e outreach.Estate) cachedEstate {
	ce := cachedEstate{Estate: e}
	if e.QuietHours != "" {
		if q, err := policy.ParseQuietHours(e.QuietHours); err == nil {
			ce.quiet, ce.hasQuiet = q, true
		}
	}
	return ce
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
