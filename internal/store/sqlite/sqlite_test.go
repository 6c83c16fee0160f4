package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/store/sqlite"
	"rampart.dev/rampart/internal/store/storetest"
)

func open(t *testing.T) store.Store {
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "rampart.db"), Origin: "test"})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}
