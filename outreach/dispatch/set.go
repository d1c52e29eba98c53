package dispatch

import "sync"

// set is a set of comparable keys safe for concurrent use: the entries in
// flight and the job locks held. A sync.Map of these struct keys hashed
// each through its interface (the runtime's generic type hash) and cost
// about 5 µs of CPU per job in the bench; a map of the concrete key type
// under one mutex hashes the two strings directly.
type set[K comparable] struct {
	mu sync.Mutex
	m  map[K]struct{}
}

// add puts k in the set.
func (s *set[K]) add(k K) {
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[K]struct{})
	}
	s.m[k] = struct{}{}
	s.mu.Unlock()
}

// addNew puts k in the set and reports whether it was not there.
func (s *set[K]) addNew(k K) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[k]; ok {
		return false
	}
	if s.m == nil {
		s.m = make(map[K]struct{})
	}
	s.m[k] = struct{}{}
	return true
}

// remove takes k out of the set.
func (s *set[K]) remove(k K) {
	s.mu.Lock()
	delete(s.m, k)
	s.mu.Unlock()
}

// has reports whether k is in the set.
func (s *set[K]) has(k K) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[k]
	return ok
}

// keys returns the keys in the set now, in no order.
func (s *set[K]) keys() []K {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]K, 0, len(s.m))
	for k := range s.m {
		out = append(out, k)
	}
	return out
}
