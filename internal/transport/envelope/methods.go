package envelope

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// The descriptors of every service the node serves must be registered
	// for lookupMethod to know them.
	_ "rampart.dev/rampart/api/grpc/health/v1"
	rampartv1 "rampart.dev/rampart/api/rampart/v1"

	"rampart.dev/rampart/internal/errs"
)

// The two methods that belong to the connection rather than to a service.
const (
	// MethodAuthenticate sets the connection's credential from the
	// envelope's token. It does not check the token: the next call does,
	// and answers unauthenticated if it is bad.
	MethodAuthenticate = "/rampart.v1.Connection/Authenticate"
	// MethodCancel cancels the request whose id is the payload.
	MethodCancel = "/rampart.v1.Connection/Cancel"
)

// WebSocketPath is where the node serves the WebSocket transport.
const WebSocketPath = "/api/v1/ws"

// Defaults, as in the configuration's limits.
const (
	DefaultMaxFrame    = 16 << 20
	DefaultMaxInFlight = 128
)

// maxIDLen bounds a request id; every reply repeats it.
const maxIDLen = 256

// methodKind is what the envelope transports need to know of a procedure.
type methodKind int

const (
	unary methodKind = iota
	serverStream
)

// lookupMethod finds a procedure named /package.Service/Method among the
// registered service descriptors.
func lookupMethod(path string) (methodKind, *rampartv1.Error) {
	svc, name, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if !ok || !strings.HasPrefix(path, "/") {
		return 0, newError(errs.NotFound, "unknown method")
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return 0, newError(errs.NotFound, "unknown method")
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return 0, newError(errs.NotFound, "unknown method")
	}
	md := sd.Methods().ByName(protoreflect.Name(name))
	switch {
	case md == nil:
		return 0, newError(errs.NotFound, "unknown method")
	case md.IsStreamingClient():
		return 0, newError(errs.InvalidArgument, "client-streaming methods are not served on the envelope transports")
	case md.IsStreamingServer():
		return serverStream, nil
	}
	return unary, nil
}
