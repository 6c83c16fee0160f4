// Package rampartv1connect is the generated Connect code of Rampart's
// services: the handler interfaces the server implements and the clients the
// Go SDK and the envelope transports run over. Regenerate with
// `go generate ./api`.
package rampartv1connect
