package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"rampart.dev/rampart/client"
)

// savedSession is what `rampart login` keeps for the client commands. It
// holds credentials, so it lives in a 0600 file in a 0700 directory.
type savedSession struct {
	Server      string        `json:"server"`
	AdminServer string        `json:"admin_server,omitempty"`
	CA          string        `json:"ca,omitempty"` // absolute path
	Tokens      client.Tokens `json:"tokens,omitzero"`
	APIKey      string        `json:"api_key,omitempty"`
}

const (
	sessionDirMode  = 0o700
	sessionFileMode = 0o600
	// maxSessionFile bounds what is read back; a real one is a few KiB.
	maxSessionFile = 1 << 20
)

var errNoSession = errors.New("not signed in: run rampart login --server URL")

// sessionPath is <user config dir>/rampart/session.json.
func sessionPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the config directory: %w", err)
	}
	return filepath.Join(dir, "rampart", "session.json"), nil
}

// loadSession reads the session file, refusing one that others could read
// or that is not a plain file, since it may be someone else's plant.
func loadSession() (*savedSession, error) {
	path, err := sessionPath()
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("session file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("session file %s is not a regular file; remove it and sign in again", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&^sessionFileMode != 0 {
		return nil, fmt.Errorf("session file %s has mode %v, wider than %v: remove it and sign in again", path, fi.Mode().Perm(), fs.FileMode(sessionFileMode))
	}
	if fi.Size() > maxSessionFile {
		return nil, fmt.Errorf("session file %s is larger than %d bytes", path, maxSessionFile)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("session file: %w", err)
	}
	var s savedSession
	if err := json.Unmarshal(raw, &s); err != nil || s.Server == "" {
		return nil, fmt.Errorf("session file %s is damaged; sign in again", path)
	}
	return &s, nil
}

// save writes the session atomically: a new file is written and synced
// beside the old one, then renamed over it.
func (s *savedSession) save() error {
	path, err := sessionPath()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, sessionDirMode); err != nil {
		return fmt.Errorf("session directory: %w", err)
	}
	// MkdirAll leaves an existing directory as it was.
	if err := os.Chmod(dir, sessionDirMode); err != nil {
		return fmt.Errorf("session directory: %w", err)
	}
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".session-*.json")
	if err != nil {
		return fmt.Errorf("session file: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := tmp.Chmod(sessionFileMode); err != nil {
		tmp.Close()
		return fmt.Errorf("session file: %w", err)
	}
	_, err = tmp.Write(append(raw, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("session file: %w", err)
	}
	return nil
}

// removeSession deletes the session file; a missing one is fine.
func removeSession() error {
	path, err := sessionPath()
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("session file: %w", err)
	}
	return nil
}
