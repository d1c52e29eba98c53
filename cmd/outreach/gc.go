package main

import "runtime/debug"

// The garbage collector's settings for the commands that run a daemon
// (serve, dev, bench), when the environment does not set them: Go's
// defaults (GOGC=100, no memory limit) spent 15-18% of the daemon's CPU
// in GC at full load, collecting a live heap of about 30 MB every time
// it doubled. GOGC=400 lets the heap grow to five times the live heap
// before a cycle, and the soft limit of 64 MiB makes the collector work
// harder instead once the process's Go memory nears it, so peak RSS
// stays within its targets (docs/operations.md, "Memory and GC").
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 64 << 20
)

// gcDefaults applies defaultGCPercent unless GOGC is set and
// defaultMemoryLimit unless GOMEMLIMIT is set; the runtime has read those
// itself.
func gcDefaults(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
