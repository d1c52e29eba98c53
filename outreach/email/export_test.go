package email

// Waiting is how many Sends wait for a slot, unclaimed.
func (s *Sender) Waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waiting)
}
