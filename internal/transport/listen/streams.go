package listen

import (
	"context"
	"net/http"
	"time"
)

// Streaming wraps next so the requests match picks out run without the
// server's read and write deadlines: a stream of events or messages lives
// as long as its client and its credential allow, and the listener's
// timeouts are for ordinary requests. Such a request's context also ends
// when stop does, so a graceful shutdown need not wait for streams that
// never finish on their own.
func Streaming(next http.Handler, match func(*http.Request) bool, stop context.Context) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !match(r) {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		// The read deadline matters to calls that stream their requests
		// too. Writers without deadlines have nothing to lift.
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		defer context.AfterFunc(stop, cancel)()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
