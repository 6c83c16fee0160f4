package postgres_test

import (
	"testing"

	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/store/postgres/pgtest"
	"rampart.dev/rampart/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return pgtest.Open(t) })
}
