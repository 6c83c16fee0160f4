package errs

import "connectrpc.com/connect"

// RPC is the status the code travels as on gRPC, gRPC-Web and Connect:
// the one place the pairing is decided, for the server, the socket
// transports and the Go SDK alike.
func (c Code) RPC() connect.Code {
	switch c {
	case InvalidArgument:
		return connect.CodeInvalidArgument
	case Unauthenticated:
		return connect.CodeUnauthenticated
	case PermissionDenied:
		return connect.CodePermissionDenied
	case NotFound:
		return connect.CodeNotFound
	case Conflict:
		return connect.CodeAlreadyExists
	case FailedPrecondition:
		return connect.CodeFailedPrecondition
	case TooLarge, ResourceExhausted:
		return connect.CodeResourceExhausted
	case Unavailable:
		return connect.CodeUnavailable
	default:
		return connect.CodeInternal
	}
}

// FromRPC names the code of an RPC status that arrived without Rampart's
// error detail, as from a proxy or a broken connection. Statuses the set has
// no name for map to their nearest: a call cut short (canceled, deadline
// exceeded) is unavailable, anything unknown internal.
func FromRPC(c connect.Code) Code {
	switch c {
	case connect.CodeInvalidArgument, connect.CodeOutOfRange:
		return InvalidArgument
	case connect.CodeUnauthenticated:
		return Unauthenticated
	case connect.CodePermissionDenied:
		return PermissionDenied
	case connect.CodeNotFound, connect.CodeUnimplemented:
		return NotFound
	case connect.CodeAlreadyExists, connect.CodeAborted:
		return Conflict
	case connect.CodeFailedPrecondition:
		return FailedPrecondition
	case connect.CodeResourceExhausted:
		return ResourceExhausted
	case connect.CodeUnavailable, connect.CodeCanceled, connect.CodeDeadlineExceeded:
		return Unavailable
	default:
		return Internal
	}
}
