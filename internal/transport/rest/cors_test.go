package rest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// corsReply sends one request through CORS in front of a handler that
// answers 200 "next", and says whether the handler ran.
func corsReply(t *testing.T, origins []string, method string, header map[string]string) (*http.Response, bool) {
	t.Helper()
	ran := false
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran = true
		w.Write([]byte("next"))
	})
	req := httptest.NewRequest(method, "/api/v1/me", nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	CORS(next, origins).ServeHTTP(rec, req)
	return rec.Result(), ran
}

func varies(res *http.Response, name string) bool {
	for _, v := range res.Header.Values("Vary") {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), name) {
				return true
			}
		}
	}
	return false
}

func TestCORS(t *testing.T) {
	allow := []string{"https://app.example", "http://localhost:5173", "https://Other.Example:443"}
	preflight := func(origin string) map[string]string {
		return map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "authorization, content-type, connect-protocol-version",
		}
	}
	for _, tc := range []struct {
		name      string
		origins   []string
		method    string
		header    map[string]string
		allowed   bool // Access-Control-Allow-Origin echoes the origin
		preflight bool // answered by CORS itself
	}{
		{"allowed", allow, "GET", map[string]string{"Origin": "https://app.example"}, true, false},
		{"allowed, normalised", allow, "POST", map[string]string{"Origin": "https://other.example"}, true, false},
		{"allowed preflight", allow, "OPTIONS", preflight("http://localhost:5173"), true, true},
		{"disallowed", allow, "GET", map[string]string{"Origin": "https://evil.example"}, false, false},
		{"disallowed lookalike", allow, "GET", map[string]string{"Origin": "https://app.example.evil.example"}, false, false},
		{"disallowed scheme", allow, "GET", map[string]string{"Origin": "http://app.example"}, false, false},
		{"null origin", allow, "GET", map[string]string{"Origin": "null"}, false, false},
		{"disallowed preflight", allow, "OPTIONS", preflight("https://evil.example"), false, false},
		{"no origin", allow, "GET", nil, false, false},
		{"none configured", nil, "OPTIONS", preflight("https://app.example"), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, ran := corsReply(t, tc.origins, tc.method, tc.header)
			if !varies(res, "Origin") {
				t.Error("no Vary: Origin")
			}
			acao := res.Header.Get("Access-Control-Allow-Origin")
			if tc.allowed != (acao != "") || tc.allowed && acao != tc.header["Origin"] {
				t.Errorf("Access-Control-Allow-Origin %q, allowed %v", acao, tc.allowed)
			}
			if !tc.allowed {
				for k := range res.Header {
					if strings.HasPrefix(k, "Access-Control-") {
						t.Errorf("a refused origin got %s", k)
					}
				}
			}
			if ran == tc.preflight {
				t.Errorf("next ran = %v; a preflight from an allowed origin is answered here, all else goes on", ran)
			}
			if tc.preflight {
				checkPreflight(t, res)
			} else if tc.allowed {
				exposed := res.Header.Get("Access-Control-Expose-Headers")
				for _, h := range []string{"Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin", "ETag", "Retry-After"} {
					if !strings.Contains(exposed, h) {
						t.Errorf("Access-Control-Expose-Headers lacks %s: %q", h, exposed)
					}
				}
			}
			if res.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("Access-Control-Allow-Credentials sent; credentials travel in headers")
			}
		})
	}
}

func checkPreflight(t *testing.T, res *http.Response) {
	t.Helper()
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("preflight status %d, want 204", res.StatusCode)
	}
	methods := strings.Split(strings.ReplaceAll(res.Header.Get("Access-Control-Allow-Methods"), " ", ""), ",")
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if !slices.Contains(methods, m) {
			t.Errorf("Access-Control-Allow-Methods lacks %s", m)
		}
	}
	headers := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"authorization", "x-api-key", "content-type", "connect-protocol-version",
		"connect-timeout-ms", "x-grpc-web", "x-user-agent", "if-match"} {
		if !strings.Contains(headers, h) {
			t.Errorf("Access-Control-Allow-Headers lacks %s", h)
		}
	}
	if res.Header.Get("Access-Control-Max-Age") == "" {
		t.Error("no Access-Control-Max-Age")
	}
	if !varies(res, "Access-Control-Request-Headers") {
		t.Error("preflight does not vary on Access-Control-Request-Headers")
	}
}

func TestNormalOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://App.Example":       "https://app.example",
		"https://app.example:443":   "https://app.example",
		"http://app.example:80":     "http://app.example",
		"https://app.example:8443":  "https://app.example:8443",
		"https://app.example/":      "",
		"https://u@app.example":     "",
		"ftp://app.example":         "",
		"null":                      "",
		"":                          "",
		"https://app.example?x=1":   "",
		"https://app.example#frag":  "",
		"javascript:alert(1)":       "",
		"https://app.example%00.io": "",
	} {
		if got := normalOrigin(in); got != want {
			t.Errorf("normalOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}
