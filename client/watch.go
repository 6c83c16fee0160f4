package client

import (
	"context"
	"errors"
	"sync"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
)

// Event is one change seen by a watch.
type Event struct {
	Seq     int64
	Op      string // insert, update or delete
	ID      string
	Version int64
	// Document is the document as it is at delivery; nil for deletes.
	Document *Document
}

// WatchOption adjusts Watch.
type WatchOption func(*watchOptions)

type watchOptions struct{ since *int64 }

// Since starts the watch after sequence seq (0 replays every change still
// in the log) instead of at the present.
func Since(seq int64) WatchOption { return func(o *watchOptions) { o.since = &seq } }

// Watcher delivers a watch's events until its context ends, Close is
// called, or the stream fails.
type Watcher struct {
	events chan Event
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

// Events is closed when the watch ends; Err then says why.
func (w *Watcher) Events() <-chan Event { return w.events }

// Err is nil after Close, the context's error when the context ended, and
// otherwise the error that ended the stream. Call it after Events closed.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Close ends the watch and waits until its stream is closed.
func (w *Watcher) Close() {
	w.cancel()
	<-w.done
}

// errClosed marks a watch ended by Close.
var errClosed = errors.New("watch closed")

// Watch streams the changes in collection the caller may read. When the
// server ends the stream because the access token expired, the watch
// continues after the last event with a refreshed token; a watch without
// Since that has delivered nothing restarts at the present.
func (c *Client) Watch(ctx context.Context, collection string, opts ...WatchOption) *Watcher {
	var o watchOptions
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	w := &Watcher{events: make(chan Event), cancel: func() { cancel(errClosed) }, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer close(w.events)
		err := c.watch(ctx, collection, o.since, w.events)
		if cause := context.Cause(ctx); cause != nil {
			err = cause
			if errors.Is(cause, errClosed) {
				err = nil
			}
		}
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
	}()
	return w
}

// watch runs streams until one fails for a reason a fresh token cannot fix.
func (c *Client) watch(ctx context.Context, collection string, since *int64, out chan<- Event) error {
	retried := false
	for {
		tok, err := c.auth.credential(ctx)
		if err != nil {
			return err
		}
		progressed, err := c.stream(ctx, collection, tok, since, func(ev Event) bool {
			seq := ev.Seq
			since = &seq
			select {
			case out <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		})
		if err == nil || ctx.Err() != nil || !IsCode(err, Unauthenticated) {
			return err
		}
		// Expired while streaming: go on with a fresh token, but give up
		// when a fresh token is refused before anything arrives.
		if progressed {
			retried = false
		}
		if retried {
			return err
		}
		if _, ok := c.auth.renew(ctx, tok); !ok {
			return err
		}
		retried = true
	}
}

// stream runs one Watch call and reports whether it delivered anything.
func (c *Client) stream(ctx context.Context, collection, tok string, since *int64, deliver func(Event) bool) (bool, error) {
	req := connect.NewRequest(&rampartv1.WatchRequest{Collection: collection, Since: since})
	setBearer(req.Header(), tok)
	st, err := c.docs.Watch(ctx, req)
	if err != nil {
		return false, convert(err)
	}
	defer st.Close()
	progressed := false
	for st.Receive() {
		ev, err := eventOf(st.Msg())
		if err != nil {
			return progressed, err
		}
		progressed = true
		if !deliver(ev) {
			return progressed, nil
		}
	}
	return progressed, convert(st.Err())
}

func eventOf(m *rampartv1.WatchEvent) (Event, error) {
	ev := Event{Seq: m.GetSeq(), Op: m.GetOp(), ID: m.GetId(), Version: m.GetVersion()}
	if m.GetDocument() != nil {
		d, err := parseDocument(m.GetDocument())
		if err != nil {
			return Event{}, err
		}
		ev.Document = &d
	}
	return ev, nil
}
