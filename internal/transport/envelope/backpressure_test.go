package envelope

import (
	"net"
	"strings"
	"testing"
	"testing/synctest"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
)

// TestSlowReaderBackpressure streams to a peer that reads nothing: once
// every goroutine is blocked, the handler must be ahead of the peer by no
// more than the send queue and the connection's write buffer.
func TestSlowReaderBackpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		docs := newFakeDocs()
		srv := New(testHandler(docs), Options{SendQueue: 8})
		client, server := net.Pipe()
		srv.begin()
		go srv.serveStream(server, "pipe")
		r := &streamRaw{t: t, nc: client}

		since := int64(100000)
		token := strings.Repeat("t", 4096) // each event repeats it: about 4 KiB a frame
		r.send(&rampartv1.Envelope{Id: "w", Method: watchMethod, Token: token,
			Payload: marshal(t, &rampartv1.WatchRequest{Collection: "c", Since: &since})}, false)
		synctest.Wait()

		// 8 queued, 8 in the 32 KiB write buffer, and one each in the
		// writer's and the handler's hands.
		if n := docs.sent.Load(); n == 0 || n > 8+8+2 {
			t.Errorf("the handler sent %d events to a peer that read none", n)
		}
		client.Close()
	})
}

// TestClientSlowStreamReader leaves a stream unread: the client must end
// it once maxPending replies wait, not buffer without bound.
func TestClientSlowStreamReader(t *testing.T) {
	fx := newFixture(t, "unix", Options{})
	c := fx.dial(t)
	docs := rampartv1connect.NewDocumentServiceClient(c, "http://envelope")
	since := int64(maxPending + 500)
	stream, err := docs.Watch(testContext(t), connect.NewRequest(&rampartv1.WatchRequest{Collection: "c", Since: &since}))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	eventually(t, "the client gives up on the stream", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.calls) == 0
	})
	n := 0
	for stream.Receive() {
		n++
	}
	if n != maxPending || connect.CodeOf(stream.Err()) != connect.CodeResourceExhausted {
		t.Errorf("got %d events then %v, want %d then resource_exhausted", n, stream.Err(), maxPending)
	}
}
