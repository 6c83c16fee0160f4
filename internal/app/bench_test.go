package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
	"rampart.dev/rampart/internal/apptest"
)

// BenchmarkPointRead is an authorized document read through a whole node
// (TLS listener, handler chain, SQLite) from callers sharing one
// connection, with client and server in this process. It is for comparing
// changes by time and allocations per read; the load generator in bench/
// measures throughput. Run with
//
//	go test ./internal/app -run '^$' -bench PointRead -benchtime 5s
func BenchmarkPointRead(b *testing.B) {
	h := apptest.Start(b, apptest.Options{})
	h.CreateUser("reader", "reader-password-1", false)
	c := h.Login("reader", "reader-password-1")
	res := c.Public("POST", "/api/v1/collections/bench/documents", map[string]any{"title": "a document", "body": strings.Repeat("text ", 40)})
	var doc struct {
		ID string `json:"_id"`
	}
	res.JSON(&doc)
	if doc.ID == "" {
		b.Fatalf("insert: %d %s", res.Status, res.Body)
	}

	b.Run("rest", func(b *testing.B) {
		url := h.PublicURL + "/api/v1/collections/bench/documents/" + doc.ID
		hc := h.HTTPClient()
		parallel(b, func() error {
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("Authorization", "Bearer "+c.Token)
			res, err := hc.Do(req)
			if err == nil {
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			return err
		})
	})
	b.Run("grpc", func(b *testing.B) {
		cc, err := grpc.NewClient(strings.TrimPrefix(h.PublicURL, "https://"),
			grpc.WithTransportCredentials(credentials.NewTLS(h.TLSConfig())))
		if err != nil {
			b.Fatal(err)
		}
		defer cc.Close()
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+c.Token)
		in := &rampartv1.GetRequest{Collection: "bench", Id: doc.ID}
		parallel(b, func() error {
			return cc.Invoke(ctx, rampartv1connect.DocumentServiceGetProcedure, in, new(rampartv1.Document))
		})
	})
}

func parallel(b *testing.B, call func() error) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := call(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
