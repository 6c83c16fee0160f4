package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
)

// FuzzEnvelopeDecode decodes arbitrary bytes as a stream of frames and as
// a text envelope. Decoding must never panic, must fail only with a typed
// error, and whatever decodes must encode and decode back the same.
func FuzzEnvelopeDecode(f *testing.F) {
	valid := func(env *rampartv1.Envelope) []byte {
		b, err := appendFrame(nil, env)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	two := append(valid(&rampartv1.Envelope{Id: "1", Method: getMethod, Token: "t", Priority: 3, Payload: []byte{0x0a, 0x01, 'c'}}),
		valid(&rampartv1.Envelope{Id: "2", End: true, Error: &rampartv1.Error{Code: "not_found", Message: "m"}})...)
	for _, seed := range [][]byte{
		nil,
		two,
		two[:len(two)-3],
		{0, 0},
		{0xff, 0xff, 0xff, 0xff},
		prefixed(8, bytes.Repeat([]byte{0xff}, 8)),
		prefixed(0, nil),
		[]byte(`{"id":"1","method":"/rampart.v1.DocumentService/Get","token":"t","priority":-2,"payload":{"collection":"c"}}`),
		[]byte(`{"id":"2","payload":"w","end":true,"error":{"code":"not_found","message":"m","details":{"version":3}}}`),
		[]byte(`{"id":"3","payload":null,"error":null}`),
		[]byte(`{"id":"4","payload": [1, 2 ,{"a" : "\u00e9<>"}]}`),
		[]byte(`{"id":`),
		[]byte(`{"id":"1","bogus":1}`),
		[]byte(`{"id":"1"} {}`),
		[]byte(`{"priority":4294967296}`),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFrames(t, data)
		fuzzText(t, data)
	})
}

func fuzzFrames(t *testing.T, data []byte) {
	r := bytes.NewReader(data)
	for {
		b, err := readFrame(r, 1<<16)
		if errors.Is(err, io.EOF) {
			return
		}
		wantTyped(t, err)
		if err != nil {
			return
		}
		env, err := decodeBinary(b)
		wantTyped(t, err)
		if err != nil {
			return
		}
		again, err := appendFrame(nil, env)
		if err != nil {
			t.Fatalf("a decoded envelope does not encode: %v", err)
		}
		back, err := readFrame(bytes.NewReader(again), 1<<16+16)
		if err != nil {
			t.Fatal(err)
		}
		if env2, err := decodeBinary(back); err != nil || !proto.Equal(env, env2) {
			t.Fatalf("round trip changed %v into %v (%v)", env, env2, err)
		}
	}
}

func fuzzText(t *testing.T, data []byte) {
	env, err := decodeText(data)
	wantTyped(t, err)
	if err != nil {
		return
	}
	enc, err := encodeText(env)
	if err != nil {
		t.Fatalf("a decoded text envelope does not encode: %v", err)
	}
	env2, err := decodeText(enc)
	if err != nil {
		t.Fatalf("re-encoded %s does not decode: %v", enc, err)
	}
	var compact bytes.Buffer
	if len(env.Payload) > 0 {
		if err := json.Compact(&compact, env.Payload); err != nil {
			t.Fatalf("payload %q is not JSON: %v", env.Payload, err)
		}
	}
	if !bytes.Equal(compact.Bytes(), env2.Payload) {
		t.Fatalf("payload %s came back as %s", compact.Bytes(), env2.Payload)
	}
	env.Payload, env2.Payload = nil, nil
	if !proto.Equal(env, env2) {
		t.Fatalf("round trip changed %v into %v", env, env2)
	}
}

func wantTyped(t *testing.T, err error) {
	t.Helper()
	var e *errs.Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("untyped error %v", err)
	}
}
