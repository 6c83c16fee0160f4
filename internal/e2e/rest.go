package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// REST is a Caller (and, for an admin, an Admin) over the REST surface of
// DESIGN.md section 4. Besides normalising answers it holds REST to its own
// contract: the success status of each endpoint, the status of each error
// code, a correlation id on every error, ETag on documents, and SSE framing.
type REST struct {
	PublicURL, AdminURL string
	Token               string
	Client              *http.Client
}

var (
	_ Caller = (*REST)(nil)
	_ Admin  = (*REST)(nil)
)

// callTimeout bounds every call but a watch.
const callTimeout = 30 * time.Second

// errorStatus is the HTTP status of each error code (DESIGN.md section 4).
var errorStatus = map[string]int{
	"invalid_argument": 400, "unauthenticated": 401, "permission_denied": 403,
	"not_found": 404, "conflict": 409, "failed_precondition": 412, "too_large": 413,
	"resource_exhausted": 429, "unavailable": 503, "internal": 500,
}

func (r *REST) docs(coll string) string {
	return r.PublicURL + "/api/v1/collections/" + url.PathEscape(coll) + "/documents"
}

func (r *REST) doc(coll, id string) string { return r.docs(coll) + "/" + url.PathEscape(id) }

func (r *REST) op(coll, op string) string {
	return r.PublicURL + "/api/v1/collections/" + url.PathEscape(coll) + "/" + op
}

func (r *REST) Insert(coll string, doc map[string]any) Outcome {
	return r.call("POST", r.docs(coll), doc, http.StatusCreated, decodeDoc)
}

func (r *REST) InsertMany(coll string, docs []map[string]any) Outcome {
	return r.call("POST", r.docs(coll), docs, http.StatusCreated, func(raw []byte, _ http.Header, o *Outcome) error {
		var list []map[string]any
		if err := unmarshal(raw, &list); err != nil {
			return err
		}
		if len(list) != len(docs) {
			return fmt.Errorf("inserted %d documents, sent %d", len(list), len(docs))
		}
		o.IDs = idsOf(list)
		return nil
	})
}

func (r *REST) Get(coll, id string) Outcome {
	return r.call("GET", r.doc(coll, id), nil, http.StatusOK, decodeDoc)
}

func (r *REST) GetVersion(coll, id string, v int64) Outcome {
	return r.call("GET", r.doc(coll, id)+"/versions/"+strconv.FormatInt(v, 10), nil, http.StatusOK, decodeDoc)
}

func (r *REST) Replace(coll, id string, doc map[string]any) Outcome {
	return r.call("PUT", r.doc(coll, id), doc, http.StatusOK, decodeDoc)
}

func (r *REST) Patch(coll, id string, patch map[string]any) Outcome {
	return r.call("PATCH", r.doc(coll, id), patch, http.StatusOK, decodeDoc)
}

func (r *REST) Delete(coll, id string) Outcome {
	return r.call("DELETE", r.doc(coll, id), nil, http.StatusNoContent, nil)
}

func (r *REST) Query(coll string, filter any) Outcome {
	body := map[string]any{"limit": 1000}
	if filter != nil {
		body["filter"] = filter
	}
	return r.call("POST", r.op(coll, "query"), body, http.StatusOK, func(raw []byte, _ http.Header, o *Outcome) error {
		var res struct {
			Documents []map[string]any `json:"documents"`
			Cursor    string           `json:"cursor"`
		}
		if err := unmarshal(raw, &res); err != nil {
			return err
		}
		if res.Documents == nil || res.Cursor != "" {
			return fmt.Errorf("query answered %s", raw)
		}
		o.IDs = idsOf(res.Documents)
		return nil
	})
}

func (r *REST) Count(coll string, filter any) Outcome {
	return r.call("POST", r.op(coll, "count"), withFilter(nil, filter), http.StatusOK, func(raw []byte, _ http.Header, o *Outcome) error {
		var res struct {
			Count *int64 `json:"count"`
		}
		if err := unmarshal(raw, &res); err != nil || res.Count == nil {
			return fmt.Errorf("count answered %s", raw)
		}
		o.Count = *res.Count
		return nil
	})
}

func (r *REST) Distinct(coll, field string, filter any) Outcome {
	body := withFilter(map[string]any{"field": field}, filter)
	return r.call("POST", r.op(coll, "distinct"), body, http.StatusOK, func(raw []byte, _ http.Header, o *Outcome) error {
		var res struct {
			Values []any `json:"values"`
		}
		if err := unmarshal(raw, &res); err != nil || res.Values == nil {
			return fmt.Errorf("distinct answered %s", raw)
		}
		o.Values = canonical(res.Values)
		return nil
	})
}

func (r *REST) Aggregate(coll string, pipeline any) Outcome {
	return r.call("POST", r.op(coll, "aggregate"), map[string]any{"pipeline": pipeline}, http.StatusOK, func(raw []byte, _ http.Header, o *Outcome) error {
		var res struct {
			Documents []map[string]any `json:"documents"`
		}
		if err := unmarshal(raw, &res); err != nil || res.Documents == nil {
			return fmt.Errorf("aggregate answered %s", raw)
		}
		o.IDs = idsOf(res.Documents)
		rows := make([]any, len(res.Documents))
		for i, d := range res.Documents {
			rows[i] = d
		}
		o.Values = canonical(rows)
		return nil
	})
}

// SetMembers calls the admin listener.
func (r *REST) SetMembers(role string, members []string) Outcome {
	u := r.AdminURL + "/api/v1/roles/" + url.PathEscape(role) + "/members"
	return r.call("PUT", u, map[string]any{"members": members}, http.StatusOK, func(raw []byte, _ http.Header, o *Outcome) error {
		var role map[string]any
		if err := unmarshal(raw, &role); err != nil {
			return err
		}
		o.IDs, o.Doc = idsOf([]map[string]any{role}), role
		return nil
	})
}

func withFilter(body map[string]any, filter any) map[string]any {
	if body == nil {
		body = map[string]any{}
	}
	if filter != nil {
		body["filter"] = filter
	}
	return body
}

// decoder turns a success body into an Outcome.
type decoder func(raw []byte, h http.Header, o *Outcome) error

func (r *REST) request(ctx context.Context, method, u string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+r.Token)
	return r.Client.Do(req)
}

func (r *REST) call(method, u string, body any, okStatus int, dec decoder) Outcome {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	resp, err := r.request(ctx, method, u, body)
	if err != nil {
		return Outcome{Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Outcome{Err: fmt.Errorf("%s %s: read answer: %w", method, u, err)}
	}
	if resp.StatusCode >= 300 {
		return errorOutcome(method, u, resp.StatusCode, raw)
	}
	var o Outcome
	if resp.StatusCode != okStatus {
		o.Err = fmt.Errorf("%s %s: status %d, want %d", method, u, resp.StatusCode, okStatus)
		return o
	}
	if dec != nil {
		if err := dec(raw, resp.Header, &o); err != nil {
			o.Err = fmt.Errorf("%s %s: %w", method, u, err)
		}
	}
	return o
}

// errorOutcome reads an error body and checks it against its status.
func errorOutcome(method, u string, status int, raw []byte) Outcome {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			ID      string `json:"id"`
		} `json:"error"`
	}
	o := Outcome{}
	if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code == "" {
		o.Err = fmt.Errorf("%s %s: status %d with body %.200s", method, u, status, raw)
		return o
	}
	o.Code, o.Message = e.Error.Code, e.Error.Message
	switch want, known := errorStatus[o.Code]; {
	case !known:
		o.Err = fmt.Errorf("%s %s: unknown error code %q", method, u, o.Code)
	case want != status:
		o.Err = fmt.Errorf("%s %s: code %s came with status %d, want %d", method, u, o.Code, status, want)
	case e.Error.ID == "":
		o.Err = fmt.Errorf("%s %s: error %s without a correlation id", method, u, o.Code)
	}
	return o
}

// decodeDoc reads one document and checks its ETag against its version.
func decodeDoc(raw []byte, h http.Header, o *Outcome) error {
	var d map[string]any
	if err := unmarshal(raw, &d); err != nil {
		return err
	}
	id, _ := d["_id"].(string)
	n, _ := d["_version"].(json.Number)
	v, err := n.Int64()
	if id == "" || err != nil {
		return fmt.Errorf("document without _id or _version: %.200s", raw)
	}
	if tag := h.Get("ETag"); tag != strconv.Quote(n.String()) {
		return fmt.Errorf("ETag %s for version %s", tag, n)
	}
	o.IDs, o.Version, o.Doc = []string{id}, v, d
	return nil
}

func unmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode %.200s: %w", raw, err)
	}
	return nil
}

func idsOf(docs []map[string]any) []string {
	out := []string{}
	for _, d := range docs {
		if id, ok := d["_id"].(string); ok {
			out = append(out, id)
		}
	}
	return out
}

// canonical renders values as JSON with sorted keys and numbers as sent.
func canonical(vals []any) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		raw, _ := json.Marshal(v)
		out[i] = string(raw)
	}
	return out
}

// Watch reads the server-sent events of GET .../watch?since=.
func (r *REST) Watch(ctx context.Context, coll string, since int64, stop func(Event) bool) Outcome {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	u := r.op(coll, "watch") + "?since=" + strconv.FormatInt(since, 10)
	resp, err := r.request(ctx, "GET", u, nil)
	if err != nil {
		return Outcome{Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		return errorOutcome("GET", u, resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return Outcome{Err: fmt.Errorf("watch answered with Content-Type %q", ct)}
	}
	return readEvents(resp.Body, stop)
}

// sse is one server-sent event as framed on the wire.
type sse struct{ id, name, data string }

func readEvents(body io.Reader, stop func(Event) bool) Outcome {
	var o Outcome
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	var cur sse
	for sc.Scan() {
		line := sc.Text()
		if line != "" {
			cur.add(line)
			continue
		}
		if cur.data == "" {
			cur = sse{}
			continue // a comment or keep-alive
		}
		if cur.name == "error" {
			e := errorOutcome("GET", "watch", 200, []byte(`{"error":`+cur.data+`}`))
			o.Code, o.Message, o.Err = e.Code, e.Message, nil
			return o
		}
		ev, err := cur.event()
		if err != nil {
			o.Err = err
			return o
		}
		o.Events = append(o.Events, ev)
		if stop(ev) {
			return o
		}
		cur = sse{}
	}
	o.Err = fmt.Errorf("watch ended after %d events without the last one: %v", len(o.Events), sc.Err())
	return o
}

func (s *sse) add(line string) {
	field, value, _ := strings.Cut(line, ":")
	value = strings.TrimPrefix(value, " ")
	switch field {
	case "id":
		s.id = value
	case "event":
		s.name = value
	case "data":
		if s.data != "" {
			s.data += "\n"
		}
		s.data += value
	}
}

// event decodes a change and checks the framing agrees with it.
func (s sse) event() (Event, error) {
	var ev struct {
		Seq      int64          `json:"seq"`
		Op       string         `json:"op"`
		ID       string         `json:"id"`
		Version  int64          `json:"version"`
		Document map[string]any `json:"document"`
	}
	if err := unmarshal([]byte(s.data), &ev); err != nil {
		return Event{}, err
	}
	if s.id != strconv.FormatInt(ev.Seq, 10) || s.name != ev.Op {
		return Event{}, fmt.Errorf("event framed as id %q, event %q carries seq %d, op %q", s.id, s.name, ev.Seq, ev.Op)
	}
	if ev.Op != "delete" && (ev.Document == nil || ev.Document["_id"] != ev.ID) {
		return Event{}, fmt.Errorf("%s event of %s carries document %v", ev.Op, ev.ID, ev.Document["_id"])
	}
	return Event{Seq: ev.Seq, Op: ev.Op, ID: ev.ID, Version: ev.Version}, nil
}
