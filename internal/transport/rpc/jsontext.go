package rpc

import (
	"encoding/json"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/jsonx"
	"rampart.dev/rampart/internal/store"
)

// jsonArg checks a filter, projection, sort or pipeline as REST does,
// where it sits one level inside the request object: strict JSON (valid
// UTF-8, no repeated keys, sane numbers), nesting within the request limit
// and no NUL in any key or string. Empty means absent.
func (s *Server) jsonArg(name, text string) (json.RawMessage, error) {
	if text == "" {
		return nil, nil
	}
	v, err := jsonx.Decode([]byte(text), jsonx.Limits{MaxDepth: max(s.opt.MaxDepth-1, 1)})
	if err != nil {
		return nil, argError(name, err)
	}
	if jsonx.HasNUL(v) {
		return nil, errs.E(errs.InvalidArgument, "%s: request text may not contain NUL", name)
	}
	return json.RawMessage(text), nil
}

// argError names the field a JSON error is about.
func argError(name string, err error) *errs.Error {
	code, msg := errs.Public(err)
	return &errs.Error{Code: code, Message: name + ": " + msg, Err: err, Details: errs.DetailsOf(err)}
}

// manyDocs checks the documents of one atomic insert the way REST checks
// the array it cuts them from: each within the request nesting limit. The
// document service then checks each as it checks any document.
func (s *Server) manyDocs(list []string) ([][]byte, error) {
	out := make([][]byte, len(list))
	for i, d := range list {
		if _, err := jsonx.Decode([]byte(d), jsonx.Limits{MaxDepth: s.opt.MaxDepth}); err != nil {
			return nil, argError("documents", err).With("index", i)
		}
		out[i] = []byte(d)
	}
	return out, nil
}

// document renders a stored document, its stored bytes when it has them.
func document(d store.Doc) (*rampartv1.Document, error) {
	raw, err := d.JSON()
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "internal error")
	}
	return &rampartv1.Document{Json: string(raw)}, nil
}

func documents(list []store.Doc) (*rampartv1.Documents, error) {
	out := &rampartv1.Documents{Documents: make([]*rampartv1.Document, 0, len(list))}
	for _, d := range list {
		doc, err := document(d)
		if err != nil {
			return nil, err
		}
		out.Documents = append(out.Documents, doc)
	}
	return out, nil
}

func rawDocuments(list []json.RawMessage) *rampartv1.Documents {
	out := &rampartv1.Documents{Documents: make([]*rampartv1.Document, len(list))}
	for i, raw := range list {
		out.Documents[i] = &rampartv1.Document{Json: string(raw)}
	}
	return out
}

// required refuses an empty name or id: on REST it is a path segment,
// which cannot be empty.
func required(field, v string) error {
	if v == "" {
		return errs.E(errs.InvalidArgument, "%s is required", field)
	}
	return nil
}
