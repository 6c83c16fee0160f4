package envelope

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// socketMode is the only mode the unix socket ever has: the node's own user
// alone may connect.
const socketMode fs.FileMode = 0o600

// ListenUnix listens on a unix socket at path with mode 0600 whatever the
// umask. The socket is made in a private directory next to path, set to
// 0600 and only then linked into place, so it is never reachable with a
// wider mode; linking fails rather than replace a file that appears
// meanwhile. A stale socket at path (nothing answers on it) is removed;
// a live one, or any other kind of file, is an error.
func ListenUnix(path string) (net.Listener, error) {
	if err := removeStale(path); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".rampart-sock-")
	if err != nil {
		return nil, fmt.Errorf("unix socket %s: %w", path, err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("unix socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false) // it would unlink the temporary name
	if err := placeSocket(tmp, path); err != nil {
		ln.Close()
		return nil, err
	}
	fi, err := os.Lstat(path)
	if err == nil && (fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != socketMode) {
		err = fmt.Errorf("mode is %v, not a socket with mode %v", fi.Mode(), socketMode)
	}
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("unix socket %s: %w", path, err)
	}
	return &unixListener{UnixListener: ln, path: path, info: fi}, nil
}

func placeSocket(tmp, path string) error {
	if err := os.Chmod(tmp, socketMode); err != nil {
		return fmt.Errorf("unix socket %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("unix socket %s: %w", path, err)
	}
	return nil
}

// removeStale removes a socket at path that nothing listens on.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unix socket %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("unix socket %s: refusing to replace a file that is not a socket", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("unix socket %s: in use by another process", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("unix socket %s: removing the stale socket: %w", path, err)
	}
	return nil
}

// unixListener reports the socket's real path and removes it on Close, but
// only while it is still the socket this listener made.
type unixListener struct {
	*net.UnixListener
	path string
	info fs.FileInfo
	once sync.Once
}

var _ net.Listener = (*unixListener)(nil)

func (l *unixListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() {
		if fi, statErr := os.Lstat(l.path); statErr == nil && os.SameFile(fi, l.info) {
			_ = os.Remove(l.path)
		}
	})
	return err
}
