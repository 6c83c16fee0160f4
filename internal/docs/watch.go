package docs

import (
	"context"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// Event is one change a watcher may see. Document is the document as it is
// now, for inserts and updates; several events of one document may carry the
// same, latest, content.
type Event struct {
	Seq      int64          `json:"seq"`
	Op       store.Op       `json:"op"`
	ID       string         `json:"id"`
	Version  int64          `json:"version"`
	Document map[string]any `json:"document,omitempty"`
}

// watchPage is how many change-log entries one round reads.
const watchPage = 256

// Caller resolves who a long-running call runs as, again each time it is
// asked: a stream must stop seeing what its caller lost (a role, the account,
// an expired token) without waiting to be reopened.
type Caller func(context.Context) (acl.Principals, error)

// Watch calls emit for every change of coll after sequence since that the
// caller may read, checked against the document's ACL and the caller's
// current principals at delivery time, until ctx ends, emit fails or the
// caller is no longer valid. since < 0 starts at the current end of the log.
func (s *Service) Watch(ctx context.Context, who Caller, coll string, since int64, emit func(Event) error) error {
	if err := store.ValidCollection(coll); err != nil {
		return err
	}
	if since < 0 {
		last, err := s.st.LastSeq(ctx)
		if err != nil {
			return err
		}
		since = last
	}
	for {
		p, err := who(ctx)
		if err != nil {
			return err
		}
		if err := signedIn(p); err != nil {
			return err
		}
		wake := s.st.Changed() // before reading, so no commit slips between
		changes, err := s.st.Changes(ctx, coll, since, watchPage)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			if err := s.wait(ctx, wake); err != nil {
				return err
			}
			continue
		}
		events, err := s.visible(ctx, p, coll, changes)
		if err != nil {
			return err
		}
		for _, ev := range events {
			if err := emit(ev); err != nil {
				return err
			}
		}
		since = changes[len(changes)-1].Seq
	}
}

func (s *Service) wait(ctx context.Context, wake <-chan struct{}) error {
	t := time.NewTimer(s.opt.WatchPoll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wake:
	case <-t.C:
	}
	return nil
}

// visible keeps the changes the caller may read now, with documents.
func (s *Service) visible(ctx context.Context, p acl.Principals, coll string, changes []store.Change) ([]Event, error) {
	if scoped(p, coll) != nil {
		return nil, nil
	}
	var live []string
	for _, c := range changes {
		if c.Op != store.OpDelete {
			live = append(live, c.DocID)
		}
	}
	ok, err := s.st.Readable(ctx, coll, p, live)
	if err != nil {
		return nil, err
	}
	docs := map[string]map[string]any{}
	var out []Event
	for _, c := range changes {
		ev := Event{Seq: c.Seq, Op: c.Op, ID: c.DocID, Version: c.Version}
		if c.Op == store.OpDelete {
			may, err := s.mayLearnDelete(ctx, p, coll, c.DocID)
			if err != nil {
				return nil, err
			}
			if !may {
				continue
			}
			out = append(out, ev)
			continue
		}
		if !ok[c.DocID] {
			continue
		}
		if ev.Document = docs[c.DocID]; ev.Document == nil {
			d, err := s.st.Get(ctx, coll, c.DocID)
			if errs.Is(err, errs.NotFound) {
				continue // deleted since; its delete event follows
			}
			if err != nil {
				return nil, err
			}
			// The ACL may have changed since Readable looked; the change
			// that did it follows and is checked on its own.
			if !p.Effective(d.ACL).Has(acl.Read) {
				continue
			}
			ev.Document = d.Map()
			docs[c.DocID] = ev.Document
		}
		out = append(out, ev)
	}
	return out, nil
}

// mayLearnDelete checks a delete against the document's last ACL. Without
// a tombstone (the id has been reused since) nobody learns of it.
func (s *Service) mayLearnDelete(ctx context.Context, p acl.Principals, coll, id string) (bool, error) {
	d, err := s.st.Tombstone(ctx, coll, id)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	return err == nil && p.Effective(d.ACL).Has(acl.Read), err
}
