package app

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestStreamingCalls(t *testing.T) {
	for target, want := range map[string]bool{
		"POST /rampart.v1.DocumentService/Watch":        true,
		"POST /rampart.v1.DocumentService/Query":        false,
		"POST /rampart.v1.DocumentService/Nope":         false,
		"POST /rampart.v1.DocumentService/Watch/x":      false,
		"POST /rampart.v1.Nope/Watch":                   false,
		"GET /api/v1/collections/c/watch":               true,
		"GET /api/v1/collections/c/documents":           false,
		"POST /grpc.health.v1.Health/Check":             false,
		"POST /rampart.v1.DocumentService.Watch":        false,
		"POST /rampart.v1.DocumentService/" + "\x00bad": false,
	} {
		method, path, _ := strings.Cut(target, " ")
		r := httptest.NewRequest(method, "/", nil)
		r.URL.Path = path
		if got := streaming(r); got != want {
			t.Errorf("streaming(%s) = %v, want %v", target, got, want)
		}
	}
}
