package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/docs"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/jsonx"
	"rampart.dev/rampart/internal/store"
)

func (a *API) insert(w http.ResponseWriter, r *http.Request) error {
	raw, err := a.body(r)
	if err != nil {
		return err
	}
	p, coll := principals(r), r.PathValue("c")
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		docsRaw, err := a.splitArray(raw)
		if err != nil {
			return err
		}
		out, err := a.docs.InsertMany(r.Context(), p, coll, docsRaw)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, out)
		return nil
	}
	d, err := a.docs.Insert(r.Context(), p, coll, raw)
	if err != nil {
		return err
	}
	writeDoc(w, http.StatusCreated, d)
	return nil
}

// splitArray cuts a JSON array of documents into the raw documents.
func (a *API) splitArray(raw []byte) ([][]byte, error) {
	v, err := jsonx.Decode(raw, jsonx.Limits{MaxDepth: a.opt.MaxDepth + 1})
	if err != nil {
		return nil, err
	}
	items := v.([]any)
	out := make([][]byte, len(items))
	for i, item := range items {
		if out[i], err = json.Marshal(item); err != nil {
			return nil, errs.Wrap(err, errs.InvalidArgument, "document %d is not valid", i)
		}
	}
	return out, nil
}

// writeDoc answers with one document, its stored bytes when it has them.
func writeDoc(w http.ResponseWriter, status int, d store.Doc) {
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(d.Version, 10)))
	raw, err := d.JSON()
	if err != nil {
		writeJSON(w, status, d) // reports the encoding failure
		return
	}
	// The store's own encoding is compact JSON already: writeJSON would
	// scan and copy it again.
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(raw[:len(raw):len(raw)], '\n'))
}

func (a *API) get(w http.ResponseWriter, r *http.Request) error {
	d, err := a.docs.Get(r.Context(), principals(r), r.PathValue("c"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeDoc(w, http.StatusOK, d)
	return nil
}

// ifMatch reads the If-Match header: a version number, bare, quoted or
// weak ("3", W/"3"). Anything else is refused rather than guessed at.
func ifMatch(r *http.Request) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return 0, nil
	}
	s := strings.TrimPrefix(h, "W/")
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 1 || strings.Trim(s, "0123456789") != "" {
		return 0, errs.E(errs.InvalidArgument, "If-Match must be a document version, e.g. \"3\"")
	}
	return v, nil
}

// docWrite is the shape of Replace and Patch.
type docWrite func(ctx context.Context, p acl.Principals, coll, id string, raw []byte, ifMatch int64) (store.Doc, error)

func (a *API) rewrite(w http.ResponseWriter, r *http.Request, fn docWrite) error {
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	raw, err := a.body(r)
	if err != nil {
		return err
	}
	d, err := fn(r.Context(), principals(r), r.PathValue("c"), r.PathValue("id"), raw, version)
	if err != nil {
		return err
	}
	writeDoc(w, http.StatusOK, d)
	return nil
}

func (a *API) replace(w http.ResponseWriter, r *http.Request) error {
	return a.rewrite(w, r, a.docs.Replace)
}

func (a *API) patch(w http.ResponseWriter, r *http.Request) error {
	return a.rewrite(w, r, a.docs.Patch)
}

func (a *API) delete(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	if err := a.docs.Delete(r.Context(), principals(r), r.PathValue("c"), r.PathValue("id"), version); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) version(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n < 1 {
		return errs.E(errs.InvalidArgument, "version must be a positive number")
	}
	d, err := a.docs.GetVersion(r.Context(), principals(r), r.PathValue("c"), r.PathValue("id"), n)
	if err != nil {
		return err
	}
	writeDoc(w, http.StatusOK, d)
	return nil
}

func (a *API) query(w http.ResponseWriter, r *http.Request) error {
	var req docs.QueryRequest
	if err := a.decodeOptional(r, &req); err != nil {
		return err
	}
	res, err := a.docs.Query(r.Context(), principals(r), r.PathValue("c"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

type filterRequest struct {
	Filter json.RawMessage `json:"filter,omitempty"`
}

func (a *API) count(w http.ResponseWriter, r *http.Request) error {
	var req filterRequest
	if err := a.decodeOptional(r, &req); err != nil {
		return err
	}
	n, err := a.docs.Count(r.Context(), principals(r), r.PathValue("c"), req.Filter)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int64{"count": n})
	return nil
}

type distinctRequest struct {
	Field  string          `json:"field"`
	Filter json.RawMessage `json:"filter,omitempty"`
}

func (a *API) distinct(w http.ResponseWriter, r *http.Request) error {
	var req distinctRequest
	if err := a.decode(r, &req); err != nil {
		return err
	}
	vals, err := a.docs.Distinct(r.Context(), principals(r), r.PathValue("c"), req.Field, req.Filter)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"values": vals})
	return nil
}

type aggregateRequest struct {
	Pipeline json.RawMessage `json:"pipeline"`
}

func (a *API) aggregate(w http.ResponseWriter, r *http.Request) error {
	var req aggregateRequest
	if err := a.decodeOptional(r, &req); err != nil {
		return err
	}
	rows, err := a.docs.Aggregate(r.Context(), principals(r), r.PathValue("c"), req.Pipeline)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"documents": rows})
	return nil
}
