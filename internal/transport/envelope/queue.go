package envelope

import (
	"container/heap"
	"context"
	"errors"
)

// Why a request's context ended, beyond its connection closing.
var (
	errCancelRequested = errors.New("envelope: cancelled by the client")
	errConnClosed      = errors.New("envelope: connection closed")
	errShutdown        = errors.New("envelope: server shut down")
)

// request is one admitted request: running, or waiting for a slot.
type request struct {
	f      frame
	kind   methodKind
	token  string
	ctx    context.Context
	cancel context.CancelCauseFunc
	seq    uint64
	index  int // in the wait queue; -1 once running
}

func (r *request) id() string { return r.f.env.Id }

// reqQueue orders waiting requests by priority, higher first, and by
// arrival within a priority. It implements heap.Interface.
type reqQueue []*request

var _ heap.Interface = (*reqQueue)(nil)

func (q reqQueue) Len() int { return len(q) }

func (q reqQueue) Less(i, j int) bool {
	pi, pj := q[i].f.env.Priority, q[j].f.env.Priority
	if pi != pj {
		return pi > pj
	}
	return q[i].seq < q[j].seq
}

func (q reqQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *reqQueue) Push(x any) {
	r := x.(*request)
	r.index = len(*q)
	*q = append(*q, r)
}

func (q *reqQueue) Pop() any {
	old := *q
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	r.index = -1
	return r
}
