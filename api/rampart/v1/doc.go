// Package rampartv1 is the generated Go code of Rampart's protobuf services
// (api/rampart/v1/*.proto): the request, reply and envelope messages every
// transport carries. Edit the .proto files and run `go generate ./api`;
// nothing here is written by hand but this file.
package rampartv1
