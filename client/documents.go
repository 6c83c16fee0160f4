package client

import (
	"context"
	"encoding/json"
	"iter"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
)

// WriteOption adjusts Replace, Patch and Delete.
type WriteOption func(*writeOptions)

type writeOptions struct{ ifMatch *int64 }

// IfMatch makes a write fail with failed_precondition unless the document
// is still at version.
func IfMatch(version int64) WriteOption {
	return func(o *writeOptions) { o.ifMatch = &version }
}

func writeOpts(opts []WriteOption) writeOptions {
	var o writeOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Insert stores a new document and returns it with its _id and _version.
// doc is a map, a struct, a Document, or JSON text (string, []byte,
// json.RawMessage).
func (c *Client) Insert(ctx context.Context, collection string, doc any) (Document, error) {
	body, err := jsonText(doc)
	if err != nil {
		return Document{}, err
	}
	res, err := c.docs.Insert(ctx, connect.NewRequest(&rampartv1.InsertRequest{Collection: collection, Document: body}))
	if err != nil {
		return Document{}, convert(err)
	}
	return parseDocument(res.Msg)
}

// InsertMany stores documents atomically: all of them or none. On failure
// the *Error's Details["index"] names the document that failed.
func (c *Client) InsertMany(ctx context.Context, collection string, docs ...any) ([]Document, error) {
	bodies := make([]string, len(docs))
	for i, d := range docs {
		var err error
		if bodies[i], err = jsonText(d); err != nil {
			return nil, err
		}
	}
	res, err := c.docs.InsertMany(ctx, connect.NewRequest(&rampartv1.InsertManyRequest{Collection: collection, Documents: bodies}))
	if err != nil {
		return nil, convert(err)
	}
	return parseDocuments(res.Msg.GetDocuments())
}

// Get returns a document, or not_found when it is missing or not readable.
func (c *Client) Get(ctx context.Context, collection, id string) (Document, error) {
	res, err := c.docs.Get(ctx, connect.NewRequest(&rampartv1.GetRequest{Collection: collection, Id: id}))
	if err != nil {
		return Document{}, convert(err)
	}
	return parseDocument(res.Msg)
}

// GetVersion returns version n of a document, current or earlier.
func (c *Client) GetVersion(ctx context.Context, collection, id string, n int64) (Document, error) {
	res, err := c.docs.GetVersion(ctx, connect.NewRequest(&rampartv1.GetVersionRequest{Collection: collection, Id: id, Version: n}))
	if err != nil {
		return Document{}, convert(err)
	}
	return parseDocument(res.Msg)
}

// Replace sets a document's whole content.
func (c *Client) Replace(ctx context.Context, collection, id string, doc any, opts ...WriteOption) (Document, error) {
	return c.write(ctx, c.docs.Replace, collection, id, doc, opts)
}

// Patch merges a JSON merge patch (RFC 7386) into a document.
func (c *Client) Patch(ctx context.Context, collection, id string, patch any, opts ...WriteOption) (Document, error) {
	return c.write(ctx, c.docs.Patch, collection, id, patch, opts)
}

type writeFunc func(context.Context, *connect.Request[rampartv1.WriteRequest]) (*connect.Response[rampartv1.Document], error)

func (c *Client) write(ctx context.Context, call writeFunc, collection, id string, doc any, opts []WriteOption) (Document, error) {
	body, err := jsonText(doc)
	if err != nil {
		return Document{}, err
	}
	o := writeOpts(opts)
	res, err := call(ctx, connect.NewRequest(&rampartv1.WriteRequest{Collection: collection, Id: id, Document: body, IfMatch: o.ifMatch}))
	if err != nil {
		return Document{}, convert(err)
	}
	return parseDocument(res.Msg)
}

// Delete removes a document (leaving a tombstone for watchers).
func (c *Client) Delete(ctx context.Context, collection, id string, opts ...WriteOption) error {
	o := writeOpts(opts)
	_, err := c.docs.Delete(ctx, connect.NewRequest(&rampartv1.DeleteRequest{Collection: collection, Id: id, IfMatch: o.ifMatch}))
	return convert(err)
}

// Query selects documents. Filter, Projection and Sort are JSON objects of
// the query language: JSON text (string, []byte, json.RawMessage) or a
// value to marshal. A sort on several fields must be JSON text, since Go
// maps have no order.
type Query struct {
	Filter     any
	Projection any
	Sort       any
	// PageSize is the documents fetched per call; 0 takes the server's default.
	PageSize int
	// Limit stops after that many documents; 0 reads every match.
	Limit int
}

// maxPage is the most documents the server returns per call.
const maxPage = 1000

// QueryPage fetches one page from cursor ("" for the first) and returns the
// cursor of the next page, "" after the last.
func (c *Client) QueryPage(ctx context.Context, collection string, q Query, cursor string) ([]Document, string, error) {
	req := &rampartv1.QueryRequest{Collection: collection, Cursor: cursor}
	var err error
	if req.Filter, err = jsonText(q.Filter); err != nil {
		return nil, "", err
	}
	if req.Projection, err = jsonText(q.Projection); err != nil {
		return nil, "", err
	}
	if req.Sort, err = jsonText(q.Sort); err != nil {
		return nil, "", err
	}
	if q.PageSize > 0 {
		n := int32(min(q.PageSize, maxPage))
		req.Limit = &n
	}
	res, err := c.docs.Query(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, "", convert(err)
	}
	docs, err := parseDocuments(res.Msg.GetDocuments())
	return docs, res.Msg.GetCursor(), err
}

// Query yields every document that matches, page after page, following the
// server's cursor. Iteration stops at the first error, which it yields.
func (c *Client) Query(ctx context.Context, collection string, q Query) iter.Seq2[Document, error] {
	return func(yield func(Document, error) bool) {
		left, cursor := q.Limit, ""
		for {
			page := q
			if left > 0 && (page.PageSize == 0 || page.PageSize > left) && left <= maxPage {
				page.PageSize = left
			}
			docs, next, err := c.QueryPage(ctx, collection, page, cursor)
			if err != nil {
				yield(Document{}, err)
				return
			}
			for _, d := range docs {
				if !yield(d, nil) {
					return
				}
				if left--; left == 0 {
					return
				}
			}
			if next == "" || len(docs) == 0 {
				return
			}
			cursor = next
		}
	}
}

// Count returns how many documents match filter (nil for all).
func (c *Client) Count(ctx context.Context, collection string, filter any) (int64, error) {
	f, err := jsonText(filter)
	if err != nil {
		return 0, err
	}
	res, err := c.docs.Count(ctx, connect.NewRequest(&rampartv1.CountRequest{Collection: collection, Filter: f}))
	if err != nil {
		return 0, convert(err)
	}
	return res.Msg.GetCount(), nil
}

// Distinct returns the distinct values of field among the matching
// documents, each as JSON.
func (c *Client) Distinct(ctx context.Context, collection, field string, filter any) ([]json.RawMessage, error) {
	f, err := jsonText(filter)
	if err != nil {
		return nil, err
	}
	res, err := c.docs.Distinct(ctx, connect.NewRequest(&rampartv1.DistinctRequest{Collection: collection, Field: field, Filter: f}))
	if err != nil {
		return nil, convert(err)
	}
	out := make([]json.RawMessage, len(res.Msg.GetValues()))
	for i, v := range res.Msg.GetValues() {
		out[i] = json.RawMessage(v)
	}
	return out, nil
}

// Aggregate runs a pipeline ($match $group $sort $limit $project $count)
// over the documents the caller may read and returns its rows as JSON.
func (c *Client) Aggregate(ctx context.Context, collection string, pipeline any) ([]json.RawMessage, error) {
	p, err := jsonText(pipeline)
	if err != nil {
		return nil, err
	}
	res, err := c.docs.Aggregate(ctx, connect.NewRequest(&rampartv1.AggregateRequest{Collection: collection, Pipeline: p}))
	if err != nil {
		return nil, convert(err)
	}
	out := make([]json.RawMessage, len(res.Msg.GetDocuments()))
	for i, d := range res.Msg.GetDocuments() {
		out[i] = json.RawMessage(d.GetJson())
	}
	return out, nil
}
