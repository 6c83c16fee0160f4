package docs

import (
	"context"
	"errors"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
)

// Settings are the collection settings an admin may change.
type Settings struct {
	History          *bool    `json:"history,omitempty"`
	Replicate        *bool    `json:"replicate,omitempty"`
	Priority         *int     `json:"priority,omitempty"`
	CreateACL        acl.List `json:"create_acl,omitempty"`
	EncryptedFields  []string `json:"encrypted_fields,omitempty"`
	SearchableFields []string `json:"searchable_fields,omitempty"`
}

func admin(p acl.Principals, coll string) error {
	if err := signedIn(p); err != nil {
		return err
	}
	if !p.Admin {
		return errs.E(errs.PermissionDenied, "only admins manage collections")
	}
	return scoped(p, coll)
}

// PutCollection creates a collection or changes its settings; settings left
// out keep their current (or default) values.
func (s *Service) PutCollection(ctx context.Context, p acl.Principals, name string, set Settings) (store.Collection, error) {
	if err := admin(p, name); err != nil {
		return store.Collection{}, err
	}
	if err := store.ValidCollection(name); err != nil {
		return store.Collection{}, err
	}
	var out store.Collection
	err := s.st.Write(ctx, func(tx store.Tx) error {
		c, err := tx.Collection(name)
		if errors.Is(err, store.ErrNotFound) {
			c, err = store.DefaultCollection(name), nil
		}
		if err != nil {
			return err
		}
		if c.System {
			return errs.E(errs.PermissionDenied, "collection %q is managed by the server", name)
		}
		apply(&c, set)
		if err := c.Validate(); err != nil {
			return err
		}
		out = c
		return tx.PutCollection(c)
	})
	return out, err
}

func apply(c *store.Collection, set Settings) {
	if set.History != nil {
		c.History = *set.History
	}
	if set.Replicate != nil {
		c.Replicate = *set.Replicate
	}
	if set.Priority != nil {
		c.Priority = *set.Priority
	}
	if set.CreateACL != nil {
		c.CreateACL = set.CreateACL
	}
	if set.EncryptedFields != nil {
		c.EncryptedFields = set.EncryptedFields
	}
	if set.SearchableFields != nil {
		c.SearchableFields = set.SearchableFields
	}
}

// GetCollection returns a collection's settings.
func (s *Service) GetCollection(ctx context.Context, p acl.Principals, name string) (store.Collection, error) {
	if err := admin(p, name); err != nil {
		return store.Collection{}, err
	}
	return s.collection(ctx, name)
}

// IndexSpec is an index as clients describe it.
type IndexSpec struct {
	Name   string   `json:"name"`
	Fields []string `json:"fields"`
	Unique bool     `json:"unique,omitempty"`
}

// CreateIndex builds an expression index on a collection.
func (s *Service) CreateIndex(ctx context.Context, p acl.Principals, coll string, spec IndexSpec) (IndexSpec, error) {
	if err := admin(p, coll); err != nil {
		return IndexSpec{}, err
	}
	ix := store.Index{Collection: coll, Name: spec.Name, Unique: spec.Unique}
	for _, f := range spec.Fields {
		path, err := query.ParsePath(f)
		if err != nil {
			return IndexSpec{}, err
		}
		ix.Fields = append(ix.Fields, path)
	}
	if err := ix.Validate(); err != nil {
		return IndexSpec{}, err
	}
	if _, err := s.collection(ctx, coll); err != nil {
		return IndexSpec{}, err
	}
	err := s.st.Write(ctx, func(tx store.Tx) error { return tx.CreateIndex(ix) })
	return specOf(ix), err
}

func specOf(ix store.Index) IndexSpec {
	out := IndexSpec{Name: ix.Name, Unique: ix.Unique, Fields: make([]string, len(ix.Fields))}
	for i, f := range ix.Fields {
		out.Fields[i] = f.String()
	}
	return out
}

// Indexes lists a collection's indexes.
func (s *Service) Indexes(ctx context.Context, p acl.Principals, coll string) ([]IndexSpec, error) {
	if err := admin(p, coll); err != nil {
		return nil, err
	}
	if _, err := s.collection(ctx, coll); err != nil {
		return nil, err
	}
	list, err := s.st.Indexes(ctx, coll)
	out := make([]IndexSpec, len(list))
	for i, ix := range list {
		out[i] = specOf(ix)
	}
	return out, err
}

// DropIndex removes an index.
func (s *Service) DropIndex(ctx context.Context, p acl.Principals, coll, name string) error {
	if err := admin(p, coll); err != nil {
		return err
	}
	if err := store.ValidIndexName(name); err != nil {
		return err
	}
	if _, err := s.collection(ctx, coll); err != nil {
		return err
	}
	err := s.st.Write(ctx, func(tx store.Tx) error { return tx.DropIndex(coll, name) })
	if errors.Is(err, store.ErrNotFound) {
		return errs.E(errs.NotFound, "index %q not found", name)
	}
	return err
}
