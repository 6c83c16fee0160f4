package envelope

import (
	"fmt"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
)

// TestTokensMultiplexed runs calls with different credentials at once on
// one connection: each must reach the handler with its own.
func TestTokensMultiplexed(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			fx := newFixture(t, tr, Options{})
			c := fx.dial(t)
			ctx := testContext(t)
			if err := c.Authenticate(ctx, "conn-tok"); err != nil {
				t.Fatal(err)
			}
			docs := rampartv1connect.NewDocumentServiceClient(c, "http://envelope")
			var wg sync.WaitGroup
			for i := range 60 {
				wg.Go(func() {
					token := []string{"", "tok-a", "tok-b"}[i%3]
					want := "Bearer " + token
					req := connect.NewRequest(&rampartv1.GetRequest{Collection: "c", Id: fmt.Sprint(i)})
					if token == "" {
						want = "Bearer conn-tok"
					} else {
						req.Header().Set("Authorization", "Bearer "+token)
					}
					res, err := docs.Get(ctx, req)
					if err != nil {
						t.Error(err)
						return
					}
					if got := echo(t, res.Msg.Json); got.Auth != want || got.ID != fmt.Sprint(i) {
						t.Errorf("call %d reached the handler as %+v, want %s", i, got, want)
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestTokenScopes checks that a message's token is for that message only,
// and that Authenticate applies to the requests after it, even pipelined.
func TestTokenScopes(t *testing.T) {
	fx := newFixture(t, "unix", Options{})
	r := fx.raw(t)
	get := func(id, token string) {
		r.send(&rampartv1.Envelope{Id: id, Method: getMethod, Token: token,
			Payload: marshal(t, &rampartv1.GetRequest{Collection: "c", Id: id})}, false)
	}
	get("before", "")
	r.send(&rampartv1.Envelope{Id: "auth", Method: MethodAuthenticate, Token: "c1"}, false)
	get("override", "m1")
	get("after", "")
	r.send(&rampartv1.Envelope{Id: "clear", Method: MethodAuthenticate}, false)
	get("cleared", "")

	want := map[string]string{"before": "", "override": "Bearer m1", "after": "Bearer c1", "cleared": ""}
	for range 6 {
		env := mustRecv(t, r)
		if env.Error != nil || !env.End {
			t.Fatalf("reply %v", env)
		}
		if env.Id == "auth" || env.Id == "clear" {
			if len(env.Payload) != 0 {
				t.Errorf("Authenticate answered with a payload: %v", env)
			}
			continue
		}
		var doc rampartv1.Document
		if err := proto.Unmarshal(env.Payload, &doc); err != nil {
			t.Fatal(err)
		}
		if got := echo(t, doc.Json).Auth; got != want[env.Id] {
			t.Errorf("%s carried %q, want %q", env.Id, got, want[env.Id])
		}
	}
}
