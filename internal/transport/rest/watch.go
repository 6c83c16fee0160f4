package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/docs"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// heartbeat keeps idle event streams open through proxies.
const heartbeat = 15 * time.Second

// watch streams changes as server-sent events. ?since=<seq> (or the
// Last-Event-ID header a reconnecting browser sends) resumes after that
// sequence; without either the stream starts now.
func (a *API) watch(w http.ResponseWriter, r *http.Request) error {
	since, err := resumeFrom(r)
	if err != nil {
		return err
	}
	if err := store.ValidCollection(r.PathValue("c")); err != nil {
		return err
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		return errs.E(errs.Internal, "streaming unsupported")
	}
	// A stream outlives the listener's write timeout by design.
	if err := http.NewResponseController(w).SetWriteDeadline(time.Time{}); err != nil {
		return errs.Wrap(err, errs.Internal, "streaming unsupported")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": watching\n\n")
	flusher.Flush()

	ctx := r.Context()
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	events := make(chan docs.Event)
	done := make(chan error, 1)
	go func() {
		// The token is checked again every round, so the stream ends when it
		// expires and follows role and account changes as they happen.
		who := func(context.Context) (acl.Principals, error) {
			c, err := a.authenticate(r)
			return c.Principals, err
		}
		done <- a.docs.Watch(ctx, who, r.PathValue("c"), since, func(ev docs.Event) error {
			select {
			case events <- ev:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	for {
		select {
		case ev := <-events:
			data, _ := json.Marshal(ev)
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.Seq, ev.Op, data)
		case <-beat.C:
			fmt.Fprint(w, ": ping\n\n")
		case err := <-done:
			if ctx.Err() == nil && err != nil {
				code, msg := errs.Public(err)
				data, _ := json.Marshal(errorDetail{Code: code, Message: msg, ID: requestID(r)})
				fmt.Fprintf(w, "event: error\ndata: %s\n\n", data)
				if code == errs.Internal {
					a.log.Error("watch failed", "id", requestID(r), "err", err)
				}
			}
			flusher.Flush()
			return nil
		}
		flusher.Flush()
	}
}

func resumeFrom(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("since")
	if v == "" {
		v = r.Header.Get("Last-Event-ID")
	}
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errs.E(errs.InvalidArgument, "since must be a change sequence number")
	}
	return n, nil
}
