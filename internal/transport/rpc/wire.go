package rpc

import (
	"bytes"
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"rampart.dev/rampart/internal/errs"
)

// frame is a request message as it arrived, still encoded. Connect's own
// decoding errors would reach the client without the rampart.v1.Error
// detail; decoding in the procedure gives them the same typed answer as
// every other refusal.
type frame struct {
	codec string // "proto", or a JSON codec name
	data  []byte
}

// frameCodec keeps requests as frames and encodes responses as connect's
// default codecs do.
type frameCodec struct{ name string }

var _ connect.Codec = frameCodec{}

func (c frameCodec) Name() string { return c.name }

func (c frameCodec) Marshal(v any) ([]byte, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("encode %T: not a protobuf message", v)
	}
	if c.name == "proto" {
		return proto.Marshal(m)
	}
	return protojson.Marshal(m)
}

func (c frameCodec) Unmarshal(data []byte, v any) error {
	f, ok := v.(*frame)
	if !ok {
		return fmt.Errorf("decode into %T: not a request frame", v)
	}
	// data belongs to a buffer pool and is reused after this call.
	f.codec, f.data = c.name, bytes.Clone(data)
	return nil
}

// decode reads a frame into m as strictly as REST reads a JSON body:
// well-formed, valid UTF-8, bounded nesting, no field the schema lacks
// (a newer client's field must not be silently dropped) and no NUL in text.
func (s *Server) decode(f frame, m proto.Message) error {
	var err error
	switch f.codec {
	case "":
		// An empty envelope never reaches the codec: it is the zero message.
		return nil
	case "proto":
		err = proto.UnmarshalOptions{RecursionLimit: s.opt.MaxDepth}.Unmarshal(f.data, m)
	default:
		err = protojson.UnmarshalOptions{RecursionLimit: s.opt.MaxDepth}.Unmarshal(f.data, m)
	}
	if err != nil {
		return malformed(err, m)
	}
	return checkMessage(m.ProtoReflect())
}

// malformed describes a decoding failure without the library's framing.
func malformed(err error, m proto.Message) error {
	name := m.ProtoReflect().Descriptor().FullName()
	msg := err.Error()
	if strings.Contains(msg, "invalid UTF-8") {
		return errs.Wrap(err, errs.InvalidArgument, "request text must be valid UTF-8")
	}
	// The library's errors start "proto:" and a space of varying kind.
	msg = strings.TrimPrefix(msg, "proto:")
	return errs.Wrap(err, errs.InvalidArgument, "malformed %s message: %.200s", name, strings.TrimSpace(msg))
}

// checkMessage refuses unknown fields and NUL in any string of m.
func checkMessage(m protoreflect.Message) error {
	if u := m.GetUnknown(); len(u) > 0 {
		num, _, _ := protowire.ConsumeTag(u)
		return errs.E(errs.InvalidArgument, "%s has no field %d", m.Descriptor().FullName(), num)
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && err == nil; i++ {
				err = checkValue(fd, l.Get(i))
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if err = checkValue(fd.MapKey(), k.Value()); err == nil {
					err = checkValue(fd.MapValue(), mv)
				}
				return err == nil
			})
		default:
			err = checkValue(fd, v)
		}
		return err == nil
	})
	return err
}

func checkValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) error {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return checkMessage(v.Message())
	case protoreflect.StringKind:
		if strings.IndexByte(v.String(), 0) >= 0 {
			// Names, ids and settings end up in text columns, which
			// PostgreSQL refuses to hold NUL in.
			return errs.E(errs.InvalidArgument, "request text may not contain NUL")
		}
	}
	return nil
}
