package e2e

import (
	"context"
	"errors"

	"rampart.dev/rampart/internal/store"
)

// StoreInspector is an Inspector over a node's store.
type StoreInspector struct{ Store store.Store }

var _ Inspector = StoreInspector{}

func (s StoreInspector) Peek(coll, id string) (int64, bool, error) {
	d, err := s.Store.Get(context.Background(), coll, id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return d.Version, true, nil
}

func (s StoreInspector) CollectionExists(name string) (bool, error) {
	_, err := s.Store.Collection(context.Background(), name)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s StoreInspector) LastSeq() (int64, error) { return s.Store.LastSeq(context.Background()) }
