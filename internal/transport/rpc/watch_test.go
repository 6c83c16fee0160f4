package rpc_test

import (
	"context"
	"testing"
	"time"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/errs"
)

// TestWatchFollowsTheCaller checks on every protocol that a watch only
// delivers what the caller may read at delivery, and ends with
// unauthenticated once its credential stops working.
func TestWatchFollowsTheCaller(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite})
	h.CreateUser("root", adminPw, true)
	h.CreateUser("alice", userPw, false)
	hc := http2(t, h)
	for _, p := range protocols {
		t.Run(p.Name, func(t *testing.T) {
			c := newClients(hc, h, p)
			admin, user := login(t, c, "root", adminPw), login(t, c, "alice", userPw)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			coll := "watched_" + p.Name
			insert := func(tok, doc string) {
				t.Helper()
				if _, err := c.docs.Insert(ctx, as(tok, &rampartv1.InsertRequest{Collection: coll, Document: doc})); err != nil {
					t.Fatal(err)
				}
			}
			insert(admin, `{"_id":"hidden"}`)
			insert(admin, `{"_id":"shared","_acl":[{"id":"users","rights":2}]}`)
			since := int64(0)
			st, err := c.docs.Watch(ctx, as(user, &rampartv1.WatchRequest{Collection: coll, Since: &since}))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if !st.Receive() || st.Msg().GetId() != "shared" {
				t.Fatalf("first event %v (%v), want only the shared document", st.Msg(), st.Err())
			}
			if _, err := c.auth.Logout(ctx, as(user, &rampartv1.Empty{})); err != nil {
				t.Fatal(err)
			}
			insert(admin, `{"_id":"later","_acl":[{"id":"users","rights":2}]}`) // wakes the stream
			for st.Receive() {
				t.Fatalf("event %v after the session ended", st.Msg())
			}
			wantErr(t, st.Err(), errs.Unauthenticated)
		})
	}
}
