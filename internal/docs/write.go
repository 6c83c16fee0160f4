package docs

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/jsonx"
	"rampart.dev/rampart/internal/store"
)

// Insert stores one new document.
func (s *Service) Insert(ctx context.Context, p acl.Principals, coll string, raw []byte) (store.Doc, error) {
	docs, err := s.InsertMany(ctx, p, coll, [][]byte{raw})
	if err != nil {
		return store.Doc{}, err
	}
	return docs[0], nil
}

// InsertMany stores several new documents atomically: all or none.
func (s *Service) InsertMany(ctx context.Context, p acl.Principals, coll string, raws [][]byte) ([]store.Doc, error) {
	if err := signedIn(p); err != nil {
		return nil, err
	}
	if err := store.ValidCollection(coll); err != nil {
		return nil, err
	}
	if err := scoped(p, coll); err != nil {
		return nil, err
	}
	if len(raws) == 0 || len(raws) > s.opt.MaxInsertMany {
		return nil, errs.E(errs.InvalidArgument, "insert 1 to %d documents at a time", s.opt.MaxInsertMany)
	}
	docs := make([]store.Doc, len(raws))
	for i, raw := range raws {
		b, err := s.parseBody(raw)
		if err != nil {
			return nil, withIndex(err, i, len(raws))
		}
		docs[i] = newDoc(p, coll, b)
	}
	out := make([]store.Doc, len(docs))
	err := s.st.Write(ctx, func(tx store.Tx) error {
		if err := s.mayCreate(tx, p, coll); err != nil {
			return err
		}
		for i, d := range docs {
			var err error
			if out[i], err = tx.Insert(d); err != nil {
				return withIndex(err, i, len(docs))
			}
		}
		return nil
	})
	return out, err
}

// newDoc builds a document from a checked body. Without an _acl the creator
// gets every right; with one, the creator may hand out anything, since a new
// document is theirs.
func newDoc(p acl.Principals, coll string, b body) store.Doc {
	d := store.Doc{Collection: coll, ID: b.id, Fields: b.fields, ACL: b.acl, CreatedBy: p.User, ModifiedBy: p.User}
	if d.ID == "" {
		d.ID = store.NewID()
	}
	if !b.hasACL {
		d.ACL = acl.List{{ID: p.User, Rights: acl.All}}
	}
	return d
}

// mayCreate checks the collection's create ACL, making the collection first
// when it is missing and auto-creation is on.
func (s *Service) mayCreate(tx store.Tx, p acl.Principals, coll string) error {
	c, err := tx.Collection(coll)
	if errors.Is(err, store.ErrNotFound) {
		if !s.opt.AutoCreate {
			return errs.E(errs.NotFound, "collection %q does not exist", coll)
		}
		c = store.DefaultCollection(coll)
		if err := tx.PutCollection(c); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if c.System {
		return errs.E(errs.PermissionDenied, "collection %q is managed by the server", coll)
	}
	if !p.Effective(c.CreateACL).Has(acl.Create) {
		return errs.E(errs.PermissionDenied, "you may not create documents in %q", coll)
	}
	return nil
}

func withIndex(err error, i, n int) error {
	var e *errs.Error
	if n == 1 || !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Message = "document " + strconv.Itoa(i) + ": " + e.Message
	return out.With("index", i)
}

// Replace swaps a document's content for raw. Without _acl in raw the ACL is
// kept. ifMatch, when not 0, must equal the current version.
func (s *Service) Replace(ctx context.Context, p acl.Principals, coll, id string, raw []byte, ifMatch int64) (store.Doc, error) {
	b, err := s.parseBody(raw)
	if err != nil {
		return store.Doc{}, err
	}
	if b.id != "" && b.id != id {
		return store.Doc{}, errs.E(errs.InvalidArgument, "_id in the body differs from the one in the path")
	}
	return s.update(ctx, p, coll, id, ifMatch, func(store.Doc) (body, error) { return b, nil })
}

// Patch applies a JSON merge patch (RFC 7386) to a document.
func (s *Service) Patch(ctx context.Context, p acl.Principals, coll, id string, raw []byte, ifMatch int64) (store.Doc, error) {
	patch, err := jsonx.DecodeObject(raw, s.jsonLimits())
	if err != nil {
		return store.Doc{}, err
	}
	if v, ok := patch[store.FieldID]; ok && v != id {
		return store.Doc{}, errs.E(errs.InvalidArgument, "_id cannot be patched")
	}
	delete(patch, store.FieldID)
	// Even removing a server-owned field (a null in the patch) is refused:
	// the patch must say only what a client may write.
	for k := range patch {
		if strings.HasPrefix(k, "_") && !store.Settable[k] {
			return store.Doc{}, errs.E(errs.InvalidArgument, "field %.64q is reserved and set by the server", k)
		}
	}
	return s.update(ctx, p, coll, id, ifMatch, func(cur store.Doc) (body, error) {
		target := clientView(cur)
		merged, _ := mergePatch(target, patch).(map[string]any)
		raw, err := json.Marshal(merged)
		if err != nil {
			return body{}, err
		}
		// The result must pass every check a replace would.
		return s.parseBody(raw)
	})
}

// clientView is the part of a document a client may write back.
func clientView(d store.Doc) map[string]any {
	m := d.Map()
	for k := range m {
		if strings.HasPrefix(k, "_") && !store.Settable[k] || k == store.FieldID {
			delete(m, k)
		}
	}
	return m
}

// update is the shared path of replace and patch: rights, version check,
// grant rules, then the store's compare-and-swap.
func (s *Service) update(ctx context.Context, p acl.Principals, coll, id string, ifMatch int64, next func(store.Doc) (body, error)) (store.Doc, error) {
	if err := s.writable(ctx, p, coll, id); err != nil {
		return store.Doc{}, err
	}
	var out store.Doc
	err := s.st.Write(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Update(coll, id, func(cur store.Doc) (store.Doc, error) {
			held, err := mayWrite(p, cur, acl.Update, ifMatch)
			if err != nil {
				return store.Doc{}, err
			}
			b, err := next(cur)
			if err != nil {
				return store.Doc{}, err
			}
			if !b.hasACL {
				b.acl = cur.ACL
			}
			if err := acl.CheckChange(held, cur.ACL, b.acl); err != nil {
				return store.Doc{}, err
			}
			cur.Fields, cur.ACL, cur.ModifiedBy = b.fields, b.acl, p.User
			return cur, nil
		})
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.Doc{}, errDocNotFound
	}
	return out, err
}

// writable refuses writes before a transaction is spent on them.
func (s *Service) writable(ctx context.Context, p acl.Principals, coll, id string) error {
	if err := signedIn(p); err != nil {
		return err
	}
	if err := scoped(p, coll); err != nil {
		return err
	}
	c, err := s.collection(ctx, coll)
	if errs.Is(err, errs.NotFound) {
		return errDocNotFound
	}
	if err != nil {
		return err
	}
	if c.System {
		return errs.E(errs.PermissionDenied, "collection %q is managed by the server", coll)
	}
	return store.ValidID(id)
}

// mayWrite checks a write against the current document: hidden documents
// are not found, visible ones without the right are forbidden.
func mayWrite(p acl.Principals, cur store.Doc, want acl.Right, ifMatch int64) (acl.Right, error) {
	held := p.Effective(cur.ACL)
	if !held.Has(acl.Read) {
		return 0, errDocNotFound
	}
	if !held.Has(want) {
		return 0, errs.E(errs.PermissionDenied, "you may not %s this document", verb(want))
	}
	return held, checkVersion(cur, ifMatch)
}

func verb(r acl.Right) string {
	if r == acl.Delete {
		return "delete"
	}
	return "update"
}

// Delete removes a document.
func (s *Service) Delete(ctx context.Context, p acl.Principals, coll, id string, ifMatch int64) error {
	if err := s.writable(ctx, p, coll, id); err != nil {
		return err
	}
	err := s.st.Write(ctx, func(tx store.Tx) error {
		_, err := tx.Delete(coll, id, func(cur store.Doc) error {
			_, err := mayWrite(p, cur, acl.Delete, ifMatch)
			return err
		})
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return errDocNotFound
	}
	return err
}
