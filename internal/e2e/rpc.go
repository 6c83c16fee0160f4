package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
)

// RPC is a Caller (and, for an admin, an Admin) over the protobuf services:
// the generated clients run over gRPC, gRPC-Web, the Connect protocol or an
// envelope transport, whichever HTTP client and options built them. Besides
// normalising answers it holds every error to the contract: a rampart.v1.Error
// detail whose code agrees with the protocol's status.
type RPC struct {
	Docs  rampartv1connect.DocumentServiceClient
	Admin rampartv1connect.AdminServiceClient
	Token string
}

var (
	_ Caller = (*RPC)(nil)
	_ Admin  = (*RPC)(nil)
)

// rpcCodes is the protocol status each error code travels with.
var rpcCodes = map[string]connect.Code{
	"invalid_argument": connect.CodeInvalidArgument, "unauthenticated": connect.CodeUnauthenticated,
	"permission_denied": connect.CodePermissionDenied, "not_found": connect.CodeNotFound,
	"conflict": connect.CodeAlreadyExists, "failed_precondition": connect.CodeFailedPrecondition,
	"too_large": connect.CodeResourceExhausted, "resource_exhausted": connect.CodeResourceExhausted,
	"unavailable": connect.CodeUnavailable, "internal": connect.CodeInternal,
}

// unary runs one call with the caller's credential and turns its answer
// into an Outcome with dec.
func unary[Req, Res any](r *RPC, call func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error), msg *Req, dec func(*Res, *Outcome) error) Outcome {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+r.Token)
	res, err := call(ctx, req)
	if err != nil {
		return rpcError(err)
	}
	var o Outcome
	if dec != nil {
		if err := dec(res.Msg, &o); err != nil {
			o.Err = err
		}
	}
	return o
}

// rpcError reads the rampart.v1.Error detail of a failed call and checks it
// against the protocol's code.
func rpcError(err error) Outcome {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return Outcome{Err: err}
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		e, ok := v.(*rampartv1.Error)
		if derr != nil || !ok {
			continue
		}
		o := Outcome{Code: e.GetCode(), Message: e.GetMessage()}
		switch want, known := rpcCodes[o.Code]; {
		case !known:
			o.Err = fmt.Errorf("unknown error code %q", o.Code)
		case want != ce.Code():
			o.Err = fmt.Errorf("code %s came with status %v, want %v", o.Code, ce.Code(), want)
		case e.GetId() == "":
			o.Err = fmt.Errorf("error %s without a correlation id", o.Code)
		}
		return o
	}
	return Outcome{Err: fmt.Errorf("error without a rampart.v1.Error detail: %w", err)}
}

func toJSON(v any) string {
	if v == nil {
		return ""
	}
	raw, err := json.Marshal(v)
	if err != nil {
		panic("e2e: " + err.Error())
	}
	return string(raw)
}

// readDoc decodes one document and checks it carries its identity.
func readDoc(d *rampartv1.Document, o *Outcome) error {
	var m map[string]any
	if err := unmarshal([]byte(d.GetJson()), &m); err != nil {
		return err
	}
	id, _ := m["_id"].(string)
	n, _ := m["_version"].(json.Number)
	v, err := n.Int64()
	if id == "" || err != nil {
		return fmt.Errorf("document without _id or _version: %.200s", d.GetJson())
	}
	o.IDs, o.Version, o.Doc = []string{id}, v, m
	return nil
}

func readDocs(docs []*rampartv1.Document) ([]map[string]any, error) {
	out := make([]map[string]any, len(docs))
	for i, d := range docs {
		if err := unmarshal([]byte(d.GetJson()), &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *RPC) Insert(coll string, doc map[string]any) Outcome {
	return unary(r, r.Docs.Insert, &rampartv1.InsertRequest{Collection: coll, Document: toJSON(doc)}, readDoc)
}

func (r *RPC) InsertMany(coll string, docs []map[string]any) Outcome {
	raw := make([]string, len(docs))
	for i, d := range docs {
		raw[i] = toJSON(d)
	}
	return unary(r, r.Docs.InsertMany, &rampartv1.InsertManyRequest{Collection: coll, Documents: raw}, func(res *rampartv1.Documents, o *Outcome) error {
		list, err := readDocs(res.GetDocuments())
		if err != nil {
			return err
		}
		if len(list) != len(docs) {
			return fmt.Errorf("inserted %d documents, sent %d", len(list), len(docs))
		}
		o.IDs = idsOf(list)
		return nil
	})
}

func (r *RPC) Get(coll, id string) Outcome {
	return unary(r, r.Docs.Get, &rampartv1.GetRequest{Collection: coll, Id: id}, readDoc)
}

func (r *RPC) GetVersion(coll, id string, v int64) Outcome {
	return unary(r, r.Docs.GetVersion, &rampartv1.GetVersionRequest{Collection: coll, Id: id, Version: v}, readDoc)
}

func (r *RPC) Replace(coll, id string, doc map[string]any) Outcome {
	return unary(r, r.Docs.Replace, &rampartv1.WriteRequest{Collection: coll, Id: id, Document: toJSON(doc)}, readDoc)
}

func (r *RPC) Patch(coll, id string, patch map[string]any) Outcome {
	return unary(r, r.Docs.Patch, &rampartv1.WriteRequest{Collection: coll, Id: id, Document: toJSON(patch)}, readDoc)
}

func (r *RPC) Delete(coll, id string) Outcome {
	return unary(r, r.Docs.Delete, &rampartv1.DeleteRequest{Collection: coll, Id: id}, nil)
}

func (r *RPC) Query(coll string, filter any) Outcome {
	limit := int32(1000)
	return unary(r, r.Docs.Query, &rampartv1.QueryRequest{Collection: coll, Filter: toJSON(filter), Limit: &limit}, func(res *rampartv1.QueryResponse, o *Outcome) error {
		if res.GetCursor() != "" {
			return fmt.Errorf("query answered a cursor for a complete page")
		}
		list, err := readDocs(res.GetDocuments())
		if err != nil {
			return err
		}
		o.IDs = idsOf(list)
		return nil
	})
}

func (r *RPC) Count(coll string, filter any) Outcome {
	return unary(r, r.Docs.Count, &rampartv1.CountRequest{Collection: coll, Filter: toJSON(filter)}, func(res *rampartv1.CountResponse, o *Outcome) error {
		o.Count = res.GetCount()
		return nil
	})
}

func (r *RPC) Distinct(coll, field string, filter any) Outcome {
	return unary(r, r.Docs.Distinct, &rampartv1.DistinctRequest{Collection: coll, Field: field, Filter: toJSON(filter)}, func(res *rampartv1.DistinctResponse, o *Outcome) error {
		vals := make([]any, len(res.GetValues()))
		for i, raw := range res.GetValues() {
			if err := unmarshal([]byte(raw), &vals[i]); err != nil {
				return err
			}
		}
		o.Values = canonical(vals)
		return nil
	})
}

func (r *RPC) Aggregate(coll string, pipeline any) Outcome {
	return unary(r, r.Docs.Aggregate, &rampartv1.AggregateRequest{Collection: coll, Pipeline: toJSON(pipeline)}, func(res *rampartv1.Documents, o *Outcome) error {
		list, err := readDocs(res.GetDocuments())
		if err != nil {
			return err
		}
		o.IDs = idsOf(list)
		rows := make([]any, len(list))
		for i, d := range list {
			rows[i] = d
		}
		o.Values = canonical(rows)
		return nil
	})
}

// SetMembers calls the admin service.
func (r *RPC) SetMembers(role string, members []string) Outcome {
	return unary(r, r.Admin.SetMembers, &rampartv1.SetMembersRequest{Id: role, Members: members}, func(res *rampartv1.Document, o *Outcome) error {
		var m map[string]any
		if err := unmarshal([]byte(res.GetJson()), &m); err != nil {
			return err
		}
		o.IDs, o.Doc = idsOf([]map[string]any{m}), m
		return nil
	})
}

// Watch reads the server stream of DocumentService/Watch.
func (r *RPC) Watch(ctx context.Context, coll string, since int64, stop func(Event) bool) Outcome {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req := connect.NewRequest(&rampartv1.WatchRequest{Collection: coll, Since: &since})
	req.Header().Set("Authorization", "Bearer "+r.Token)
	stream, err := r.Docs.Watch(ctx, req)
	if err != nil {
		return rpcError(err)
	}
	defer stream.Close()
	var o Outcome
	for stream.Receive() {
		m := stream.Msg()
		ev := Event{Seq: m.GetSeq(), Op: m.GetOp(), ID: m.GetId(), Version: m.GetVersion()}
		if ev.Op != "delete" {
			var d Outcome
			if m.GetDocument() == nil || readDoc(m.GetDocument(), &d) != nil || d.IDs[0] != ev.ID {
				o.Err = fmt.Errorf("%s event of %s carries document %v", ev.Op, ev.ID, m.GetDocument())
				return o
			}
		}
		o.Events = append(o.Events, ev)
		if stop(ev) {
			return o
		}
	}
	if err := stream.Err(); err != nil {
		e := rpcError(err)
		if e.Err == nil {
			o.Code, o.Message = e.Code, e.Message
			return o
		}
		o.Err = e.Err
		return o
	}
	o.Err = fmt.Errorf("watch ended after %d events without the last one", len(o.Events))
	return o
}
