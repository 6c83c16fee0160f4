package docs

import (
	"context"
	"encoding/json"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
)

// Get returns a document the caller may read.
func (s *Service) Get(ctx context.Context, p acl.Principals, coll, id string) (store.Doc, error) {
	if err := s.pointRead(p, coll, id); err != nil {
		return store.Doc{}, err
	}
	// Callers answer with the document as stored (Doc.JSON), so its
	// fields need not be decoded.
	d, err := s.st.GetMeta(ctx, coll, id)
	d, _, err = readable(p, d, err)
	return d, err
}

// GetVersion returns version v of a document the caller may read now: the
// current ACL governs the whole history.
func (s *Service) GetVersion(ctx context.Context, p acl.Principals, coll, id string, v int64) (store.Doc, error) {
	cur, err := s.Get(ctx, p, coll, id)
	if err != nil {
		return store.Doc{}, err
	}
	// Answer the current version from the copy just checked: loading it
	// again could return a newer one whose ACL shuts the caller out.
	switch {
	case v == cur.Version:
		return cur, nil
	case v > cur.Version:
		return store.Doc{}, errs.E(errs.NotFound, "version %d not found", v)
	}
	d, err := s.st.GetVersion(ctx, coll, id, v)
	if errs.Is(err, errs.NotFound) {
		return store.Doc{}, errs.E(errs.NotFound, "version %d not found", v)
	}
	return d, err
}

func (s *Service) pointRead(p acl.Principals, coll, id string) error {
	if err := signedIn(p); err != nil {
		return err
	}
	if err := store.ValidCollection(coll); err != nil {
		return err
	}
	if err := store.ValidID(id); err != nil {
		return err
	}
	if scoped(p, coll) != nil {
		return errDocNotFound
	}
	return nil
}

// QueryRequest is one page of a query, as clients send it.
type QueryRequest struct {
	Filter     json.RawMessage `json:"filter,omitempty"`
	Projection json.RawMessage `json:"projection,omitempty"`
	Sort       json.RawMessage `json:"sort,omitempty"`
	Limit      *int            `json:"limit,omitempty"`
	Cursor     string          `json:"cursor,omitempty"`
}

// QueryResult is one page of results; Cursor is set when more may follow.
type QueryResult struct {
	Documents []json.RawMessage `json:"documents"`
	Cursor    string            `json:"cursor,omitempty"`
}

// Query returns one page of the documents the caller may read that match.
func (s *Service) Query(ctx context.Context, p acl.Principals, coll string, req QueryRequest) (QueryResult, error) {
	f, err := s.find(req)
	if err != nil {
		return QueryResult{}, err
	}
	proj, err := query.ParseProjection(nullable(req.Projection), s.opt.Query)
	if err != nil {
		return QueryResult{}, err
	}
	res := QueryResult{Documents: []json.RawMessage{}}
	if ok, err := s.listable(ctx, p, coll); !ok {
		return res, err
	}
	want := f.Limit
	f.Limit++ // one more row says whether another page exists
	// Results go out as stored unless a projection reshapes them.
	f.MetaOnly = proj.IsEmpty()
	docs, err := s.st.Find(ctx, coll, p, f)
	if err != nil {
		return QueryResult{}, err
	}
	if len(docs) > want {
		docs = docs[:want]
		last := docs[want-1]
		res.Cursor = query.CursorAfter(f.Sort, last.Map(), last.ID).Encode()
	}
	for _, d := range docs {
		raw, err := render(d, proj)
		if err != nil {
			return QueryResult{}, err
		}
		res.Documents = append(res.Documents, raw)
	}
	return res, nil
}

// render encodes one result: the stored bytes unless a projection reshapes
// the document.
func render(d store.Doc, proj query.Projection) (json.RawMessage, error) {
	if proj.IsEmpty() {
		return d.JSON()
	}
	return json.Marshal(proj.Apply(d.Map()))
}

// find turns a request into a store page description.
func (s *Service) find(req QueryRequest) (store.Find, error) {
	var f store.Find
	var err error
	if f.Filter, err = query.ParseFilter(nullable(req.Filter), s.opt.Query); err != nil {
		return f, err
	}
	if f.Sort, err = query.ParseSort(nullable(req.Sort), s.opt.Query); err != nil {
		return f, err
	}
	switch {
	case req.Limit == nil:
		f.Limit = s.opt.DefaultPageSize
	case *req.Limit < 1 || *req.Limit > s.opt.MaxPageSize:
		return f, errs.E(errs.InvalidArgument, "limit must be 1 to %d", s.opt.MaxPageSize)
	default:
		f.Limit = *req.Limit
	}
	if req.Cursor != "" {
		c, err := query.DecodeCursor(req.Cursor, f.Sort)
		if err != nil {
			return f, err
		}
		f.After = &c
	}
	return f, nil
}

// nullable maps an absent JSON value to nil.
func nullable(raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// Count counts the documents the caller may read that match filter.
func (s *Service) Count(ctx context.Context, p acl.Principals, coll string, filter json.RawMessage) (int64, error) {
	f, err := query.ParseFilter(nullable(filter), s.opt.Query)
	if err != nil {
		return 0, err
	}
	if ok, err := s.listable(ctx, p, coll); !ok {
		return 0, err
	}
	return s.st.Count(ctx, coll, p, f)
}

// Distinct returns the distinct values of field among readable matches.
func (s *Service) Distinct(ctx context.Context, p acl.Principals, coll, field string, filter json.RawMessage) ([]json.RawMessage, error) {
	path, err := query.ParsePath(field)
	if err != nil {
		return nil, err
	}
	f, err := query.ParseFilter(nullable(filter), s.opt.Query)
	if err != nil {
		return nil, err
	}
	if ok, err := s.listable(ctx, p, coll); !ok {
		return []json.RawMessage{}, err
	}
	vals, err := s.st.Distinct(ctx, coll, p, path, f, s.opt.MaxPageSize)
	if err != nil {
		return nil, err
	}
	if len(vals) > s.opt.MaxPageSize {
		return nil, errs.E(errs.InvalidArgument, "more than %d distinct values; narrow the filter", s.opt.MaxPageSize)
	}
	return vals, nil
}

// Aggregate runs a pipeline over the documents the caller may read.
func (s *Service) Aggregate(ctx context.Context, p acl.Principals, coll string, pipeline json.RawMessage) ([]json.RawMessage, error) {
	pl, err := query.ParsePipeline(nullable(pipeline), s.opt.Query)
	if err != nil {
		return nil, err
	}
	if ok, err := s.listable(ctx, p, coll); !ok {
		return []json.RawMessage{}, err
	}
	return s.st.Aggregate(ctx, coll, p, pl)
}

// listable reports whether a list-shaped read should run: it needs a caller
// and a valid name. A missing collection reads as empty without error:
// telling "missing" from "nothing you may read" would leak which
// collections exist.
func (s *Service) listable(ctx context.Context, p acl.Principals, coll string) (bool, error) {
	if err := signedIn(p); err != nil {
		return false, err
	}
	_, err := s.collection(ctx, coll)
	if errs.Is(err, errs.NotFound) || err == nil && scoped(p, coll) != nil {
		return false, nil
	}
	return err == nil, err
}
