package rpc

import (
	"context"
	"encoding/json"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/docs"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

var documentService = serviceOf(rampartv1.File_rampart_v1_documents_proto, "DocumentService")

// documentRoutes mirror REST's /api/v1/collections/{c}/... endpoints.
// Documents go to the document service as they came, which checks them
// exactly as it checks a REST body.
func (s *Server) documentRoutes() []route {
	d := documentService
	return []route{
		unary(s, d, "Insert", user, s.insert),
		unary(s, d, "InsertMany", user, s.insertMany),
		unary(s, d, "Get", user, s.get),
		unary(s, d, "GetVersion", user, s.getVersion),
		unary(s, d, "Replace", user, s.replace),
		unary(s, d, "Patch", user, s.patch),
		unary(s, d, "Delete", user, s.delete),
		unary(s, d, "Query", user, s.query),
		unary(s, d, "Count", user, s.count),
		unary(s, d, "Distinct", user, s.distinct),
		unary(s, d, "Aggregate", user, s.aggregate),
		stream(s, d, "Watch", user, s.watch),
	}
}

func principals(ctx context.Context) acl.Principals { return callOf(ctx).caller.Principals }

func (s *Server) insert(ctx context.Context, req *rampartv1.InsertRequest) (*rampartv1.Document, error) {
	d, err := s.docs.Insert(ctx, principals(ctx), req.GetCollection(), []byte(req.GetDocument()))
	if err != nil {
		return nil, err
	}
	return document(d)
}

func (s *Server) insertMany(ctx context.Context, req *rampartv1.InsertManyRequest) (*rampartv1.Documents, error) {
	raws, err := s.manyDocs(req.GetDocuments())
	if err != nil {
		return nil, err
	}
	list, err := s.docs.InsertMany(ctx, principals(ctx), req.GetCollection(), raws)
	if err != nil {
		return nil, err
	}
	return documents(list)
}

func (s *Server) get(ctx context.Context, req *rampartv1.GetRequest) (*rampartv1.Document, error) {
	d, err := s.docs.Get(ctx, principals(ctx), req.GetCollection(), req.GetId())
	if err != nil {
		return nil, err
	}
	return document(d)
}

func (s *Server) getVersion(ctx context.Context, req *rampartv1.GetVersionRequest) (*rampartv1.Document, error) {
	if req.GetVersion() < 1 {
		return nil, errs.E(errs.InvalidArgument, "version must be a positive number")
	}
	d, err := s.docs.GetVersion(ctx, principals(ctx), req.GetCollection(), req.GetId(), req.GetVersion())
	if err != nil {
		return nil, err
	}
	return document(d)
}

// ifMatch reads an optional expected version; like REST's If-Match it
// must name a version when given.
func ifMatch(v *int64) (int64, error) {
	if v == nil {
		return 0, nil
	}
	if *v < 1 {
		return 0, errs.E(errs.InvalidArgument, "if_match must be a document version, 1 or more")
	}
	return *v, nil
}

// docWrite is the shape of Replace and Patch.
type docWrite func(ctx context.Context, p acl.Principals, coll, id string, raw []byte, ifMatch int64) (store.Doc, error)

func (s *Server) rewrite(ctx context.Context, req *rampartv1.WriteRequest, fn docWrite) (*rampartv1.Document, error) {
	version, err := ifMatch(req.IfMatch)
	if err != nil {
		return nil, err
	}
	d, err := fn(ctx, principals(ctx), req.GetCollection(), req.GetId(), []byte(req.GetDocument()), version)
	if err != nil {
		return nil, err
	}
	return document(d)
}

func (s *Server) replace(ctx context.Context, req *rampartv1.WriteRequest) (*rampartv1.Document, error) {
	return s.rewrite(ctx, req, s.docs.Replace)
}

func (s *Server) patch(ctx context.Context, req *rampartv1.WriteRequest) (*rampartv1.Document, error) {
	return s.rewrite(ctx, req, s.docs.Patch)
}

func (s *Server) delete(ctx context.Context, req *rampartv1.DeleteRequest) (*rampartv1.Empty, error) {
	version, err := ifMatch(req.IfMatch)
	if err != nil {
		return nil, err
	}
	return &rampartv1.Empty{}, s.docs.Delete(ctx, principals(ctx), req.GetCollection(), req.GetId(), version)
}

func (s *Server) query(ctx context.Context, req *rampartv1.QueryRequest) (*rampartv1.QueryResponse, error) {
	var q docs.QueryRequest
	var err error
	if q.Filter, err = s.jsonArg("filter", req.GetFilter()); err != nil {
		return nil, err
	}
	if q.Projection, err = s.jsonArg("projection", req.GetProjection()); err != nil {
		return nil, err
	}
	if q.Sort, err = s.jsonArg("sort", req.GetSort()); err != nil {
		return nil, err
	}
	if req.Limit != nil {
		n := int(req.GetLimit())
		q.Limit = &n
	}
	q.Cursor = req.GetCursor()
	res, err := s.docs.Query(ctx, principals(ctx), req.GetCollection(), q)
	if err != nil {
		return nil, err
	}
	return &rampartv1.QueryResponse{Documents: rawDocuments(res.Documents).Documents, Cursor: res.Cursor}, nil
}

func (s *Server) count(ctx context.Context, req *rampartv1.CountRequest) (*rampartv1.CountResponse, error) {
	filter, err := s.jsonArg("filter", req.GetFilter())
	if err != nil {
		return nil, err
	}
	n, err := s.docs.Count(ctx, principals(ctx), req.GetCollection(), filter)
	if err != nil {
		return nil, err
	}
	return &rampartv1.CountResponse{Count: n}, nil
}

func (s *Server) distinct(ctx context.Context, req *rampartv1.DistinctRequest) (*rampartv1.DistinctResponse, error) {
	filter, err := s.jsonArg("filter", req.GetFilter())
	if err != nil {
		return nil, err
	}
	vals, err := s.docs.Distinct(ctx, principals(ctx), req.GetCollection(), req.GetField(), filter)
	if err != nil {
		return nil, err
	}
	out := &rampartv1.DistinctResponse{Values: make([]string, len(vals))}
	for i, v := range vals {
		out.Values[i] = string(v)
	}
	return out, nil
}

func (s *Server) aggregate(ctx context.Context, req *rampartv1.AggregateRequest) (*rampartv1.Documents, error) {
	pipeline, err := s.jsonArg("pipeline", req.GetPipeline())
	if err != nil {
		return nil, err
	}
	rows, err := s.docs.Aggregate(ctx, principals(ctx), req.GetCollection(), pipeline)
	if err != nil {
		return nil, err
	}
	return rawDocuments(rows), nil
}

// watch streams changes as REST's server-sent events do: from since (or
// from now), each checked against the caller as they are at delivery.
func (s *Server) watch(ctx context.Context, req *rampartv1.WatchRequest, out *connect.ServerStream[rampartv1.WatchEvent]) error {
	since := int64(-1)
	if req.Since != nil {
		if since = req.GetSince(); since < 0 {
			return errs.E(errs.InvalidArgument, "since must be a change sequence number")
		}
	}
	if err := store.ValidCollection(req.GetCollection()); err != nil {
		return err
	}
	c := callOf(ctx)
	// The credential is checked again every round, so the stream ends when
	// it expires and follows role and account changes as they happen.
	who := func(ctx context.Context) (acl.Principals, error) {
		caller, err := s.authenticate(ctx, c.header)
		return caller.Principals, err
	}
	return s.docs.Watch(ctx, who, req.GetCollection(), since, func(ev docs.Event) error {
		msg, err := watchEvent(ev)
		if err != nil {
			return err
		}
		return out.Send(msg)
	})
}

func watchEvent(ev docs.Event) (*rampartv1.WatchEvent, error) {
	msg := &rampartv1.WatchEvent{Seq: ev.Seq, Op: string(ev.Op), Id: ev.ID, Version: ev.Version}
	if ev.Document != nil {
		raw, err := json.Marshal(ev.Document)
		if err != nil {
			return nil, errs.Wrap(err, errs.Internal, "internal error")
		}
		msg.Document = &rampartv1.Document{Json: string(raw)}
	}
	return msg, nil
}
