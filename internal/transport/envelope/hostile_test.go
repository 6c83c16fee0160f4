package envelope

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/coder/websocket"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
)

func prefixed(n uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, n)
	return append(b, body...)
}

// TestHostileStreamFrames sends frames that break the rules on the byte
// stream transports: each must be answered with a typed error envelope,
// then the connection closed cleanly.
func TestHostileStreamFrames(t *testing.T) {
	badUTF8 := []byte{0x0a, 0x02, 0xff, 0xfe} // field 1 (id) holding invalid UTF-8
	cases := []struct {
		name      string
		bytes     []byte
		closeSend bool
		code      string
	}{
		{"truncated frame", prefixed(100, bytes.Repeat([]byte{1}, 10)), true, "invalid_argument"},
		{"truncated length prefix", []byte{0, 0}, true, "invalid_argument"},
		{"length prefix at the maximum", prefixed(0xFFFFFFFF, nil), false, "too_large"},
		{"length prefix one over MaxFrame", prefixed(4097, nil), false, "too_large"},
		{"garbage protobuf", prefixed(8, bytes.Repeat([]byte{0xff}, 8)), false, "invalid_argument"},
		{"invalid UTF-8 in a string field", prefixed(uint32(len(badUTF8)), badUTF8), false, "invalid_argument"},
	}
	for _, tr := range []string{"tcp", "unix"} {
		for _, tc := range cases {
			t.Run(tr+"/"+tc.name, func(t *testing.T) {
				fx := newFixture(t, tr, Options{MaxFrame: 4096})
				r := fx.raw(t)
				r.sendBytes(tc.bytes, false)
				if tc.closeSend {
					r.closeWrite()
				}
				got, err := recvUntilClosed(t, r)
				if len(got) != 1 || got[0].Error.GetCode() != tc.code || got[0].Id != "" || !got[0].End {
					t.Fatalf("got %v, want one error envelope with code %s", got, tc.code)
				}
				if !errors.Is(err, io.EOF) {
					t.Errorf("connection ended with %v, want a clean close", err)
				}
			})
		}
	}
}

// TestHostileWebSocketMessages is the same on WebSocket, where the close
// carries a status too.
func TestHostileWebSocketMessages(t *testing.T) {
	cases := []struct {
		name   string
		msg    []byte
		text   bool
		code   string
		status websocket.StatusCode
	}{
		{"bad JSON", []byte(`{"id":`), true, "invalid_argument", websocket.StatusInvalidFramePayloadData},
		{"JSON that is not an object", []byte(`[1,2]`), true, "invalid_argument", websocket.StatusInvalidFramePayloadData},
		{"unknown key", []byte(`{"id":"1","bogus":1}`), true, "invalid_argument", websocket.StatusInvalidFramePayloadData},
		{"trailing data", []byte(`{"id":"1"} {}`), true, "invalid_argument", websocket.StatusInvalidFramePayloadData},
		{"priority out of range", []byte(`{"id":"1","priority":4294967296}`), true, "invalid_argument", websocket.StatusInvalidFramePayloadData},
		{"malformed error", []byte(`{"id":"1","error":{"code":5}}`), true, "invalid_argument", websocket.StatusInvalidFramePayloadData},
		{"garbage protobuf", bytes.Repeat([]byte{0xff}, 8), false, "invalid_argument", websocket.StatusInvalidFramePayloadData},
		{"message over MaxFrame", bytes.Repeat([]byte{0}, 5000), false, "too_large", websocket.StatusMessageTooBig},
		{"text message over MaxFrame", []byte(`{"id":"` + strings.Repeat("x", 5000) + `"}`), true, "too_large", websocket.StatusMessageTooBig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, "ws", Options{MaxFrame: 4096})
			r := fx.raw(t)
			r.sendBytes(tc.msg, tc.text)
			env, text, err := r.recv()
			if err != nil || env.Error.GetCode() != tc.code || text != tc.text {
				t.Fatalf("got %v (text %v, %v), want an error envelope with code %s", env, text, err, tc.code)
			}
			_, _, err = r.recv()
			if got := websocket.CloseStatus(err); got != tc.status {
				t.Errorf("closed with %v (%v), want %v", got, err, tc.status)
			}
		})
	}
}

// TestBadRequestsKeepTheConnection answers requests that are wrong but well
// framed with an error for that request, and goes on serving.
func TestBadRequestsKeepTheConnection(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			fx := newFixture(t, tr, Options{MaxFrame: 16 << 10})
			r := fx.raw(t)
			cases := []struct {
				env     *rampartv1.Envelope
				replyID string
				code    string
			}{
				{&rampartv1.Envelope{Id: "u", Method: "/rampart.v1.DocumentService/Nope"}, "u", "not_found"},
				{&rampartv1.Envelope{Id: "s", Method: "/rampart.v1.NoService/Get"}, "s", "not_found"},
				{&rampartv1.Envelope{Id: "m", Method: "not a path"}, "m", "not_found"},
				{&rampartv1.Envelope{Id: "e", Method: ""}, "e", "not_found"},
				{&rampartv1.Envelope{Method: getMethod}, "", "invalid_argument"},
				{&rampartv1.Envelope{Id: strings.Repeat("i", maxIDLen+1), Method: getMethod}, "", "invalid_argument"},
				{&rampartv1.Envelope{Id: "p", Method: getMethod, Payload: []byte{0xff, 0xff}}, "p", "invalid_argument"},
				{&rampartv1.Envelope{Id: "big", Method: getMethod,
					Payload: marshal(t, &rampartv1.GetRequest{Collection: "big"})}, "big", "too_large"},
			}
			for _, tc := range cases {
				r.send(tc.env, false)
				env := mustRecv(t, r)
				if env.Id != tc.replyID || env.Error.GetCode() != tc.code || !env.End {
					t.Errorf("%q %q answered %v, want %s for id %q", tc.env.Id, tc.env.Method, env, tc.code, tc.replyID)
				}
			}
			r.send(gated(t, "dup", 0), false)
			<-fx.docs.started
			r.send(gated(t, "dup", 0), false)
			if env := mustRecv(t, r); env.Id != "dup" || env.Error.GetCode() != "invalid_argument" {
				t.Errorf("a second request with an id in flight answered %v", env)
			}
			fx.docs.release()
			if env := mustRecv(t, r); env.Id != "dup" || env.Error != nil {
				t.Errorf("the first request answered %v", env)
			}
			r.send(&rampartv1.Envelope{Id: "ok", Method: getMethod}, false)
			if env := mustRecv(t, r); env.Id != "ok" || env.Error != nil {
				t.Errorf("the connection no longer serves: %v", env)
			}
		})
	}
}
