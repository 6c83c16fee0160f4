package rpc

import (
	"net/http"
	"slices"

	"connectrpc.com/grpcreflect"
	"google.golang.org/protobuf/reflect/protoreflect"

	"rampart.dev/rampart/internal/transport/grpcbridge"
)

// serve builds one listener's handler from its procedures, adding health
// and reflection for exactly the services it serves.
func (s *Server) serve(groups ...[]route) *Surface {
	mux := http.NewServeMux()
	unary := map[string]grpcbridge.Unary{}
	add := func(r route) {
		mux.Handle(r.path, r.h)
		if r.direct != nil {
			unary[r.path] = r.direct
		}
	}
	var names []string
	for _, g := range groups {
		for _, r := range g {
			add(r)
			if n := string(r.service); !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	names = append(names, string(healthService.FullName()))
	for _, r := range s.healthRoutes(names) {
		add(r)
	}
	// The schema is public, so reflection needs no credential.
	reflector := grpcreflect.NewStaticReflector(names...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector, s.limitOptions()...))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector, s.limitOptions()...))
	mux.HandleFunc("/", s.notFound)
	return &Surface{Handler: s.wrap(mux), unary: unary}
}

// serviceOf names the service a descriptor belongs to, for route tables.
func serviceOf(fd protoreflect.FileDescriptor, name string) protoreflect.ServiceDescriptor {
	sd := fd.Services().ByName(protoreflect.Name(name))
	if sd == nil {
		panic("rpc: " + string(fd.Path()) + " has no service " + name)
	}
	return sd
}
