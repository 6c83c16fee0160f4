package rpc

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"mime"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
)

func TestRPCContent(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/grpc": true, "application/grpc+proto": true, "application/grpc+json": true,
		"application/grpc-web": true, "application/grpc-web+proto": true, "application/GRPC-WEB+JSON": true,
		"application/proto": true, "application/json": true, "application/json; charset=utf-8": true,
		"application/connect+proto": true, "application/connect+json": true,
		"": false, "text/plain": false, "application/xml": false, "application/grpc+xml": false,
		"application/grpc-web-text": false, "application/json; charset=latin1": false,
		"application/proto; charset=utf-8": false, "application/json; charset=utf-8; x=1": false,
		"application/connect+json; charset=utf-8": false, "application/": false, ";": false,
		" application/grpc ": true, "application/grpc\x00": false, "application/grpc,application/json": false,
		"application/grpc x": false, "application/json;charset=UTF-8": true,
	} {
		if got := rpcContent(ct); got != want {
			t.Errorf("rpcContent(%q) = %v, want %v", ct, got, want)
		}
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			if got, want := framed(ct), mt != "application/proto" && mt != "application/json"; got != want {
				t.Errorf("framed(%q) = %v, want %v", ct, got, want)
			}
		}
	}
}

// detailOf is the rampart.v1.Error of an RPC error.
func detailOf(t *testing.T, ce *connect.Error) *rampartv1.Error {
	t.Helper()
	for _, d := range ce.Details() {
		if v, err := d.Value(); err == nil {
			if e, ok := v.(*rampartv1.Error); ok {
				return e
			}
		}
	}
	t.Fatalf("no rampart.v1.Error in %v", ce)
	return nil
}

func TestFailHidesInternalCauses(t *testing.T) {
	var logs bytes.Buffer
	s := New(nil, nil, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := context.WithValue(context.Background(), requestKey{}, request{id: "req-1", path: "/rampart.v1.DocumentService/Get"})
	cause := errors.New("open /var/lib/rampart/db: permission denied")
	ce := s.fail(ctx, errs.Wrap(cause, errs.Internal, "reading %s", "secret").With("path", "/var/lib"))
	d := detailOf(t, ce)
	if ce.Code() != connect.CodeInternal || ce.Message() != "internal error" || d.GetMessage() != "internal error" || d.GetDetails() != nil {
		t.Fatalf("internal error shown as %v, detail %v", ce, d)
	}
	if d.GetId() != "req-1" || !strings.Contains(logs.String(), "req-1") || !strings.Contains(logs.String(), "permission denied") {
		t.Fatalf("detail id %q; log %q", d.GetId(), logs.String())
	}
	// Plain errors are internal too.
	if ce := s.fail(ctx, errors.New("boom")); ce.Code() != connect.CodeInternal || ce.Message() != "internal error" {
		t.Fatalf("plain error shown as %v", ce)
	}
}

func TestFailCarriesDetails(t *testing.T) {
	s := New(nil, nil, Options{Log: slog.New(slog.DiscardHandler)})
	ctx := context.WithValue(context.Background(), requestKey{}, request{id: "req-2"})
	ce := s.fail(ctx, errs.E(errs.ResourceExhausted, "slow down").With("retry_after", 7))
	d := detailOf(t, ce)
	if ce.Code() != connect.CodeResourceExhausted || d.GetCode() != "resource_exhausted" || d.GetMessage() != "slow down" ||
		d.GetDetails().GetFields()["retry_after"].GetNumberValue() != 7 || ce.Meta().Get("Retry-After") != "7" {
		t.Fatalf("got %v, detail %v, meta %v", ce, d, ce.Meta())
	}
	ce = s.fail(ctx, errs.E(errs.FailedPrecondition, "stale").With("version", int64(4)))
	if v := detailOf(t, ce).GetDetails().GetFields()["version"].GetNumberValue(); v != 4 || ce.Code() != connect.CodeFailedPrecondition {
		t.Fatalf("version detail %v, code %v", v, ce.Code())
	}
	// A client that left gets its own status, not an internal error.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if ce := s.fail(gone, gone.Err()); ce.Code() != connect.CodeCanceled {
		t.Fatalf("canceled call answered %v", ce.Code())
	}
}

func TestDecodeIsStrict(t *testing.T) {
	s := New(nil, nil, Options{MaxDepth: 8})
	tag := func(n protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(nil, n, typ) }
	str := func(n protowire.Number, v string) []byte {
		return protowire.AppendString(tag(n, protowire.BytesType), v)
	}
	for _, tc := range []struct {
		name string
		f    frame
		ok   bool
	}{
		{"empty envelope", frame{}, true},
		{"valid proto", frame{"proto", str(1, "things")}, true},
		{"valid JSON", frame{"json", []byte(`{"collection":"things","since":"3"}`)}, true},
		{"JSON with proto names", frame{"json", []byte(`{"collection":"things"}`)}, true},
		{"garbage", frame{"proto", []byte{0xff, 0xff, 0xff}}, false},
		{"unknown field", frame{"proto", append(str(1, "a"), protowire.AppendVarint(tag(9, protowire.VarintType), 1)...)}, false},
		{"invalid UTF-8", frame{"proto", str(1, "a\xffb")}, false},
		{"NUL", frame{"proto", str(1, "a\x00b")}, false},
		{"JSON unknown field", frame{"json", []byte(`{"collection":"a","x":1}`)}, false},
		{"JSON NUL", frame{"json", []byte(`{"collection":"a\u0000"}`)}, false},
		{"JSON wrong type", frame{"json", []byte(`{"since":"soon"}`)}, false},
		{"JSON empty", frame{"json", nil}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.decode(tc.f, &rampartv1.WatchRequest{})
			if tc.ok != (err == nil) || err != nil && !errs.Is(err, errs.InvalidArgument) {
				t.Fatalf("decode: %v, want ok=%v or invalid_argument", err, tc.ok)
			}
		})
	}
	// Unknown fields and NUL are found in nested messages too.
	nested := append(str(1, "k"), protowire.AppendBytes(tag(3, protowire.BytesType), str(2, "c\x00"))...)
	if err := s.decode(frame{"proto", nested}, &rampartv1.CreateAPIKeyRequest{}); !errs.Is(err, errs.InvalidArgument) {
		t.Fatalf("NUL in a nested list: %v", err)
	}
}

func TestJSONArgMirrorsREST(t *testing.T) {
	s := New(nil, nil, Options{MaxDepth: 4})
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{"", true}, {`{"a":1}`, true}, {`{"a":{"b":{"c":1}}}`, true},
		{`{"a":{"b":{"c":{"d":1}}}}`, false}, // one level less than a REST body
		{`{"a":1,"a":2}`, false}, {`{"a":"\u0000"}`, false}, {`{"a\u0000":1}`, false},
		{`{"a":"\ud800"}`, false}, {`{"a":1e999}`, false}, {`{"a":1} x`, false}, {"{\"a\":\"\xff\"}", false},
	} {
		raw, err := s.jsonArg("filter", tc.text)
		if tc.ok != (err == nil) || err != nil && (!errs.Is(err, errs.InvalidArgument) || !strings.HasPrefix(err.(*errs.Error).Message, "filter: ")) {
			t.Errorf("jsonArg(%q) = %v, want ok=%v", tc.text, err, tc.ok)
		}
		if tc.ok && string(raw) != tc.text {
			t.Errorf("jsonArg(%q) passed on %q", tc.text, raw)
		}
	}
}
