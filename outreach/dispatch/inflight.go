package dispatch

import "sync"

// keyLock serializes work on the same job id inside one daemon: when a
// producer's XADD was retried, both copies can arrive in one read batch, and
// the second must see the archive record of the first instead of sending
// again. (Across daemons the same race needs the two copies to be read by
// different consumers within one send's time; the archive dedupe covers
// everything after that.)
type keyLock struct {
	mu    sync.Mutex
	locks map[string]*keyLockEntry
}

type keyLockEntry struct {
	mu   sync.Mutex
	refs int
}

func newKeyLock() *keyLock { return &keyLock{locks: make(map[string]*keyLockEntry)} }

// Lock blocks until key is free and returns the function that frees it.
func (l *keyLock) Lock(key string) (unlock func()) {
	l.mu.Lock()
	e, ok := l.locks[key]
	if !ok {
		e = &keyLockEntry{}
		l.locks[key] = e
	}
	e.refs++
	l.mu.Unlock()

	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		l.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(l.locks, key)
		}
		l.mu.Unlock()
	}
}
