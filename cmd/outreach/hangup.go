package main

import (
	"os"
	"os/signal"
	"syscall"
)

// hangup delivers SIGHUP, on which the daemon reloads its templates; stop
// ends the delivery (and SIGHUP's default action, ending the process,
// applies again).
func hangup() (ch <-chan os.Signal, stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	return c, func() { signal.Stop(c) }
}
