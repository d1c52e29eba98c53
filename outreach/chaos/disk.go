package chaos

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// The SQLite disk-full scenario puts the archive on a small tmpfs of its
// own and fills it. Mounting needs CAP_SYS_ADMIN (root outside a
// container, or a privileged one); without it the scenario is skipped
// and says why.

var (
	mountsMu sync.Mutex
	mounts   []string
)

const tmpfsSize = 64 << 20 // the archive's disk: 64 MiB

// checkTmpfs says why a tmpfs cannot be mounted under dir ("" when it can).
func checkTmpfs(dir string) string {
	p := filepath.Join(dir, "mount-check")
	if err := os.MkdirAll(p, 0o700); err != nil {
		return err.Error()
	}
	defer os.Remove(p)
	if err := syscall.Mount("tmpfs", p, "tmpfs", 0, "size=1m"); err != nil {
		return fmt.Sprintf("cannot mount a tmpfs for the SQLite archive (%v): it needs CAP_SYS_ADMIN (root, or a privileged container)", err)
	}
	_ = syscall.Unmount(p, 0)
	return ""
}

// mountTmpfs mounts a tmpfs of tmpfsSize at p (created).
func mountTmpfs(p string) error {
	if err := os.MkdirAll(p, 0o700); err != nil {
		return fmt.Errorf("mount point: %w", err)
	}
	if err := syscall.Mount("tmpfs", p, "tmpfs", 0, fmt.Sprintf("size=%d", tmpfsSize)); err != nil {
		return fmt.Errorf("mount a tmpfs at %s: %w", p, err)
	}
	mountsMu.Lock()
	mounts = append(mounts, p)
	mountsMu.Unlock()
	return nil
}

// unmountAll unmounts what mountTmpfs mounted under dir.
func unmountAll(dir string) {
	mountsMu.Lock()
	defer mountsMu.Unlock()
	for _, m := range mounts {
		if rel, err := filepath.Rel(dir, m); err == nil && rel != ".." && !filepath.IsAbs(rel) {
			_ = syscall.Unmount(m, syscall.MNT_DETACH)
		}
	}
	mounts = nil
}

// fill writes a file under dir until the disk is full (ENOSPC).
func fill(dir string) (string, error) {
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		return p, fmt.Errorf("fill the disk: %w", err)
	}
	defer f.Close()
	// Smaller and smaller writes, down to one byte: not a page is left.
	for size := 64 << 10; size >= 1; size /= 8 {
		buf := make([]byte, size)
		for {
			if _, err := f.Write(buf); err != nil {
				if errors.Is(err, syscall.ENOSPC) {
					break
				}
				return p, fmt.Errorf("fill the disk: %w", err)
			}
		}
	}
	return p, nil
}
