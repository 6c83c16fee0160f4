package envelope

import (
	"container/heap"
	"context"
	"crypto/tls"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
)

// peer is what requests learn about the far end of a connection.
type peer struct {
	remote    string
	tls       *tls.ConnectionState
	host      string
	userAgent string
}

// conn is one server connection: a reader goroutine admitting requests, a
// goroutine per running request, and one writer serialising replies.
type conn struct {
	s      *Server
	w      wire
	peer   peer
	ctx    context.Context // parent of every request's context
	cancel context.CancelCauseFunc

	sendq    chan frame    // bounded: a full queue blocks the handlers
	stop     chan struct{} // asks the writer to finish
	done     chan struct{} // closed when the writer has stopped
	stopOnce sync.Once
	final    *frame // written last, when set before stop closes
	why      errs.Code
	reason   string

	lastActive atomic.Int64 // unix nanoseconds of the last frame read or request finished

	mu       sync.Mutex
	token    string
	reqs     map[string]*request // running and waiting, by id
	queue    reqQueue
	running  int
	seq      uint64
	draining bool
	idle     *time.Timer

	wg sync.WaitGroup // request goroutines
}

func (s *Server) serveConn(w wire, p peer) {
	ctx, cancel := context.WithCancelCause(context.Background())
	c := &conn{
		s: s, w: w, peer: p, ctx: ctx, cancel: cancel,
		sendq: make(chan frame, s.opt.SendQueue),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		reqs:  make(map[string]*request),
	}
	if !s.register(c) {
		cancel(errShutdown)
		w.close(errs.Unavailable, "server is shutting down")
		return
	}
	defer s.unregister(c)
	go c.writeLoop()
	c.startIdle()
	f, err := c.readLoop()
	c.readDone(f, err)
}

func (c *conn) readLoop() (frame, error) {
	for {
		f, err := c.w.read(c.ctx)
		if err != nil {
			return f, err
		}
		c.touch()
		c.handle(f)
	}
}

// readDone ends the connection once reading has stopped: a frame that
// broke the rules is answered before the close, and every request is
// cancelled and waited for.
func (c *conn) readDone(f frame, err error) {
	var e *errs.Error
	if errors.As(err, &e) {
		c.s.opt.Log.Debug("envelope: closing on a bad frame", "remote", c.peer.remote, "err", err)
		reply := &rampartv1.Envelope{Error: newError(e.Code, e.Message), End: true}
		c.shut(&frame{env: reply, text: f.text}, e.Code, e.Message)
	} else {
		c.shut(nil, "", "")
	}
	c.cancel(errConnClosed)
	c.wg.Wait()
	<-c.done
	c.mu.Lock()
	if c.idle != nil {
		c.idle.Stop()
	}
	c.mu.Unlock()
}

func (c *conn) handle(f frame) {
	id := f.env.Id
	switch {
	case id == "":
		c.reply(f, "", newError(errs.InvalidArgument, "envelope has no id"))
	case len(id) > maxIDLen:
		c.reply(f, "", newError(errs.InvalidArgument, "envelope id is too long"))
	case f.env.Method == MethodAuthenticate:
		c.mu.Lock()
		c.token = f.env.Token
		c.mu.Unlock()
		c.reply(f, id, nil)
	case f.env.Method == MethodCancel:
		c.cancelRequest(f)
	default:
		c.admit(f)
	}
}

// admit starts f, queues it when the connection is at MaxInFlight, or
// refuses it when the queue is full too.
func (c *conn) admit(f frame) {
	kind, e := lookupMethod(f.env.Method)
	if e == nil {
		c.mu.Lock()
		e = c.enqueue(f, kind)
		c.mu.Unlock()
	}
	if e != nil {
		c.reply(f, f.env.Id, e)
	}
}

// enqueue runs with c.mu held.
func (c *conn) enqueue(f frame, kind methodKind) *rampartv1.Error {
	id := f.env.Id
	if c.draining {
		return newError(errs.Unavailable, "server is shutting down")
	}
	if _, dup := c.reqs[id]; dup {
		return newError(errs.InvalidArgument, "a request with this id is in flight")
	}
	token := f.env.Token
	if token == "" {
		token = c.token
	}
	ctx, cancel := context.WithCancelCause(c.ctx)
	r := &request{f: f, kind: kind, token: token, ctx: ctx, cancel: cancel, seq: c.seq, index: -1}
	c.seq++
	switch {
	case c.running < c.s.opt.MaxInFlight:
		c.running++
		c.reqs[id] = r
		c.wg.Add(1)
		go c.run(r)
	case c.queue.Len() < c.s.opt.MaxQueued:
		heap.Push(&c.queue, r)
		c.reqs[id] = r
	default:
		cancel(nil)
		return newError(errs.ResourceExhausted, "too many requests in flight on this connection")
	}
	return nil
}

// run serves r, then whatever waits next, for as long as the queue has work.
func (c *conn) run(r *request) {
	defer c.wg.Done()
	for r != nil {
		c.dispatch(r)
		r = c.next(r)
	}
}

func (c *conn) next(done *request) *request {
	done.cancel(nil)
	c.touch()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reqs[done.id()] == done {
		delete(c.reqs, done.id())
	}
	var r *request
	if c.queue.Len() > 0 && c.ctx.Err() == nil {
		r = heap.Pop(&c.queue).(*request)
	} else {
		c.running--
	}
	c.drainedLocked()
	return r
}

// cancelRequest ends the request a Cancel names: a waiting one at once, a
// running one through its context. The Cancel itself is always answered,
// since the request may have finished meanwhile.
func (c *conn) cancelRequest(f frame) {
	target, ok := cancelTarget(f)
	if !ok {
		c.reply(f, f.env.Id, newError(errs.InvalidArgument, "cancel payload must be a request id"))
		return
	}
	c.mu.Lock()
	r := c.reqs[target]
	queued := r != nil && r.index >= 0
	if queued {
		heap.Remove(&c.queue, r.index)
		delete(c.reqs, target)
		c.drainedLocked()
	}
	c.mu.Unlock()
	switch {
	case queued:
		r.cancel(errCancelRequested)
		c.reply(r.f, target, newError(CodeCanceled, "request cancelled"))
	case r != nil:
		r.cancel(errCancelRequested)
	}
	c.reply(f, f.env.Id, nil)
}

// reply answers f with an end reply carrying e, or success when e is nil.
func (c *conn) reply(f frame, id string, e *rampartv1.Error) {
	c.send(frame{env: &rampartv1.Envelope{Id: id, Error: e, End: true}, text: f.text})
}

// send queues a reply, blocking while the queue is full; false once the
// connection can no longer write.
func (c *conn) send(f frame) bool {
	select {
	case c.sendq <- f:
		return true
	case <-c.done:
		return false
	}
}

func (c *conn) writeLoop() {
	defer close(c.done)
	for {
		select {
		case f := <-c.sendq:
			if !c.write(f) {
				return
			}
		case <-c.stop:
			c.finish()
			return
		}
	}
}

// finish writes what is queued and the final frame, then closes.
func (c *conn) finish() {
	// Only this goroutine receives, so a non-empty queue cannot block.
	for len(c.sendq) > 0 {
		if !c.write(<-c.sendq) {
			return
		}
	}
	if c.final != nil && !c.write(*c.final) {
		return
	}
	_ = c.w.flush()
	c.w.close(c.why, closeReason(c.reason))
}

// write sends one frame, replacing a reply that cannot be encoded or is too
// large by an error for the same id; false when the connection failed.
func (c *conn) write(f frame) bool {
	err := c.w.write(context.Background(), f)
	var e *errs.Error
	if errors.As(err, &e) {
		env := &rampartv1.Envelope{Id: f.env.Id, Error: newError(e.Code, e.Message), End: true}
		err = c.w.write(context.Background(), frame{env: env, text: f.text})
	}
	if err == nil && len(c.sendq) == 0 {
		err = c.w.flush()
	}
	if err != nil {
		c.s.opt.Log.Debug("envelope: write failed", "remote", c.peer.remote, "err", err)
		c.cancel(errConnClosed)
		c.w.closeNow()
		return false
	}
	return true
}

// shut asks the writer to write what is queued and final, then close with
// why; only the first call counts.
func (c *conn) shut(final *frame, why errs.Code, reason string) {
	c.stopOnce.Do(func() {
		c.final, c.why, c.reason = final, why, reason
		close(c.stop)
	})
}

// drain refuses new requests and closes the connection once nothing is in
// flight.
func (c *conn) drain() {
	c.mu.Lock()
	c.draining = true
	// A stream (a watch) never finishes on its own: end it now rather than
	// hold the shutdown until its deadline. Unary calls run to completion.
	for _, r := range c.reqs {
		if r.kind == serverStream && r.index < 0 {
			r.cancel(errShutdown)
		}
	}
	c.drainedLocked()
	c.mu.Unlock()
}

func (c *conn) drainedLocked() {
	if c.draining && len(c.reqs) == 0 {
		c.shut(nil, errs.Unavailable, "server is shutting down")
	}
}

// abort cancels everything and closes the connection without waiting.
func (c *conn) abort() {
	c.cancel(errShutdown)
	c.w.closeNow()
}

func (c *conn) startIdle() {
	if c.s.opt.IdleTimeout <= 0 {
		return
	}
	c.touch()
	c.mu.Lock()
	c.idle = time.AfterFunc(c.s.opt.IdleTimeout, c.checkIdle)
	c.mu.Unlock()
}

func (c *conn) touch() { c.lastActive.Store(time.Now().UnixNano()) }

// checkIdle closes the connection if it has been idle for IdleTimeout, and
// otherwise looks again when it could first be.
func (c *conn) checkIdle() {
	timeout := c.s.opt.IdleTimeout
	c.mu.Lock()
	defer c.mu.Unlock()
	wait := time.Until(time.Unix(0, c.lastActive.Load()).Add(timeout))
	switch {
	case len(c.reqs) > 0:
		c.idle.Reset(timeout)
	case wait > 0:
		c.idle.Reset(wait)
	default:
		c.shut(nil, errs.Unavailable, "idle")
	}
}

// closeReason fits a reason into a WebSocket close frame.
func closeReason(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}
