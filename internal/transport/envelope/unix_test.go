package envelope

import (
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestListenUnixMode makes the socket under the most permissive umask: it
// must still be 0600, and leave nothing else behind.
func TestListenUnixMode(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := shortSocketPath(t)
	ln, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("the socket's directory holds %d entries, want only the socket", len(entries))
	}
	if got := ln.Addr().String(); got != path {
		t.Errorf("Addr = %q, want %q", got, path)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("the socket does not accept: %v", err)
	}
	c.Close()
}

func TestListenUnixRemovesOnClose(t *testing.T) {
	path := shortSocketPath(t)
	ln, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket still there after Close: %v", err)
	}
}

func TestListenUnixReplacesStaleSocket(t *testing.T) {
	path := shortSocketPath(t)
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	ln, err := ListenUnix(path)
	if err != nil {
		t.Fatalf("a stale socket must be replaced: %v", err)
	}
	ln.Close()
}

func TestListenUnixRefuses(t *testing.T) {
	t.Run("regular file", func(t *testing.T) {
		path := shortSocketPath(t)
		if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
			t.Fatal(err)
		}
		if ln, err := ListenUnix(path); err == nil {
			ln.Close()
			t.Fatal("ListenUnix replaced a regular file")
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "keep me" {
			t.Errorf("the file changed: %q, %v", b, err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		path := shortSocketPath(t)
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		if ln, err := ListenUnix(path); err == nil {
			ln.Close()
			t.Fatal("ListenUnix replaced a directory")
		}
	})
	t.Run("live socket", func(t *testing.T) {
		path := shortSocketPath(t)
		first, err := ListenUnix(path)
		if err != nil {
			t.Fatal(err)
		}
		defer first.Close()
		if ln, err := ListenUnix(path); err == nil {
			ln.Close()
			t.Fatal("ListenUnix took over a socket in use")
		}
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatalf("the first listener lost its socket: %v", err)
		}
		c.Close()
	})
}
