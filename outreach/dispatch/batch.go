package dispatch

// gather returns first plus whatever is already waiting on in, up to limit
// items, without waiting for more: under load batches grow by themselves,
// and when idle an item goes out alone at once. buf is reused.
func gather[T any](in <-chan T, first T, limit int, buf []T) []T {
	buf = append(buf[:0], first)
	for len(buf) < limit {
		select {
		case more, ok := <-in:
			if !ok {
				return buf
			}
			buf = append(buf, more)
		default:
			return buf
		}
	}
	return buf
}
