package envelope

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
)

// frame is one envelope and the form it travels in: text frames are JSON
// with a JSON payload, the others protobuf.
type frame struct {
	env  *rampartv1.Envelope
	text bool
}

// eagerAlloc is the largest frame buffer allocated before its bytes
// arrive; larger frames grow as they come, so a length prefix alone
// cannot make the server allocate MaxFrame.
const eagerAlloc = 64 << 10

// readFrame reads one length-prefixed frame. It returns io.EOF only at a
// frame boundary, and an *errs.Error for a frame that breaks the rules.
func readFrame(r io.Reader, max int) ([]byte, error) {
	var prefix [4]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errs.Wrap(err, errs.InvalidArgument, "truncated frame")
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(prefix[:])
	if uint64(n) > uint64(max) {
		return nil, errs.E(errs.TooLarge, "frame of %d bytes exceeds the limit of %d", n, max)
	}
	if n <= eagerAlloc {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, truncated(err)
		}
		return b, nil
	}
	var buf bytes.Buffer
	buf.Grow(eagerAlloc)
	if _, err := io.CopyN(&buf, r, int64(n)); err != nil {
		return nil, truncated(err)
	}
	return buf.Bytes(), nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errs.Wrap(err, errs.InvalidArgument, "truncated frame")
	}
	return err
}

// appendFrame appends env's length prefix and protobuf encoding to dst.
func appendFrame(dst []byte, env *rampartv1.Envelope) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst, err := proto.MarshalOptions{}.MarshalAppend(dst, env)
	if err != nil {
		return dst[:start], err
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst, nil
}

func decodeBinary(b []byte) (*rampartv1.Envelope, error) {
	env := new(rampartv1.Envelope)
	if err := proto.Unmarshal(b, env); err != nil {
		return nil, errs.Wrap(err, errs.InvalidArgument, "frame is not a protobuf envelope")
	}
	return env, nil
}

// jsonEnvelope is the text form of an envelope. Payload is the JSON of the
// message itself rather than base64, so browsers can read and write it.
type jsonEnvelope struct {
	ID       string          `json:"id"`
	Method   string          `json:"method,omitempty"`
	Token    string          `json:"token,omitempty"`
	Priority int32           `json:"priority,omitempty"`
	Payload  json.RawMessage `json:"payload,omitempty"`
	Error    json.RawMessage `json:"error,omitempty"`
	End      bool            `json:"end,omitempty"`
}

// decodeText decodes a text frame strictly: unknown keys and trailing data
// are errors. The payload stays JSON.
func decodeText(b []byte) (*rampartv1.Envelope, error) {
	var j jsonEnvelope
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, errs.Wrap(err, errs.InvalidArgument, "text frame is not a JSON envelope")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errs.E(errs.InvalidArgument, "text frame has data after the envelope")
	}
	env := &rampartv1.Envelope{Id: j.ID, Method: j.Method, Token: j.Token, Priority: j.Priority, End: j.End}
	if !isNull(j.Payload) {
		env.Payload = j.Payload
	}
	if !isNull(j.Error) {
		env.Error = new(rampartv1.Error)
		if err := protojson.Unmarshal(j.Error, env.Error); err != nil {
			return nil, errs.Wrap(err, errs.InvalidArgument, "text frame has a malformed error")
		}
	}
	return env, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// encodeText encodes env as a text frame; its payload must be JSON.
func encodeText(env *rampartv1.Envelope) ([]byte, error) {
	j := jsonEnvelope{ID: env.Id, Method: env.Method, Token: env.Token, Priority: env.Priority, End: env.End}
	if len(env.Payload) > 0 {
		j.Payload = env.Payload
	}
	if env.Error != nil {
		raw, err := protojson.Marshal(env.Error)
		if err != nil {
			return nil, err
		}
		j.Error = raw
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&j); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// encodeFrame is f as the bytes of one message: JSON for a text frame,
// protobuf otherwise, without a length prefix.
func encodeFrame(f frame) ([]byte, error) {
	if f.text {
		return encodeText(f.env)
	}
	return proto.Marshal(f.env)
}

// cancelTarget is the id a Cancel names: the payload's bytes, or in a text
// frame the JSON string.
func cancelTarget(f frame) (string, bool) {
	if !f.text {
		return string(f.env.Payload), true
	}
	var id string
	if err := json.Unmarshal(f.env.Payload, &id); err != nil {
		return "", false
	}
	return id, true
}
