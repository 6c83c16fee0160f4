package rest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// served fetches the document from a listener's handler, with no credential.
func fetchOpenAPI(t *testing.T, h http.Handler) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", rec.Code, rec.Body)
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return doc
}

// documented lists the "METHOD /path" pairs of a document.
func documented(doc map[string]any) []string {
	var out []string
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

func diff(t *testing.T, what string, served, doc []string) {
	t.Helper()
	for _, p := range served {
		if !slices.Contains(doc, p) {
			t.Errorf("%s: %s is served but missing from the document", what, p)
		}
	}
	for _, p := range doc {
		if !slices.Contains(served, p) {
			t.Errorf("%s: %s is documented but not served", what, p)
		}
	}
}

// TestOpenAPIMatchesRoutes holds the document to the routers: every
// registered endpoint is in it, nothing else is, and each is tagged with
// the listeners that really serve it.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := New(nil, nil, Options{})
	public, admin := a.publicRoutes().patterns, a.adminRoutes().patterns
	var tagged = map[string][]string{}
	for pattern, op := range operations {
		for _, tag := range op.tags() {
			tagged[tag.(string)] = append(tagged[tag.(string)], pattern)
		}
	}
	diff(t, "public listener", sorted(public), sorted(tagged["public"]))
	diff(t, "admin listener", sorted(admin), sorted(tagged["admin"]))

	all := sorted(slices.Compact(sorted(append(slices.Clone(public), admin...))))
	for name, h := range map[string]http.Handler{"public": a.Public(), "admin": a.Admin()} {
		diff(t, "document served on "+name, all, documented(fetchOpenAPI(t, h)))
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestOpenAPIWellFormed checks what tools rely on: the version, unique
// operation ids, a parameter for every path wildcard, a success and an
// error response everywhere, and references that resolve.
func TestOpenAPIWellFormed(t *testing.T) {
	doc := buildOpenAPI()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", m["openapi"])
	}
	ids := map[string]string{}
	wild := regexp.MustCompile(`\{([a-z]+)\}`)
	for path, item := range m["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			op := o.(map[string]any)
			where := method + " " + path
			id, _ := op["operationId"].(string)
			if id == "" || ids[id] != "" {
				t.Errorf("%s: operationId %q missing or also used by %s", where, id, ids[id])
			}
			ids[id] = where
			checkParams(t, where, op, wild.FindAllStringSubmatch(path, -1))
			res, _ := op["responses"].(map[string]any)
			if len(res) != 2 || res["default"] == nil {
				t.Errorf("%s: responses %v, want one success and the default error", where, res)
			}
		}
	}
	components := m["components"].(map[string]any)
	walkRefs(m, func(ref string) {
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		if len(parts) != 2 || components[parts[0]] == nil || components[parts[0]].(map[string]any)[parts[1]] == nil {
			t.Errorf("unresolved $ref %q", ref)
		}
	})
}

func checkParams(t *testing.T, where string, op map[string]any, wild [][]string) {
	t.Helper()
	params, _ := op["parameters"].([]any)
	have := map[string]bool{}
	for _, p := range params {
		pm := p.(map[string]any)
		if pm["in"] == nil || pm["schema"] == nil {
			t.Errorf("%s: parameter %v lacks in or schema", where, pm["name"])
		}
		if pm["in"] == "path" {
			have[pm["name"].(string)] = true
		}
	}
	for _, w := range wild {
		if !have[w[1]] {
			t.Errorf("%s: no parameter for {%s}", where, w[1])
		}
	}
	if len(have) != len(wild) {
		t.Errorf("%s: %d path parameters for %d wildcards", where, len(have), len(wild))
	}
}

func walkRefs(v any, fn func(string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if s, ok := c.(string); ok && k == "$ref" {
				fn(s)
			}
			walkRefs(c, fn)
		}
	case []any:
		for _, c := range t {
			walkRefs(c, fn)
		}
	}
}

func TestWebSocketRoute(t *testing.T) {
	a := New(nil, nil, Options{})
	rec := httptest.NewRecorder()
	a.Public().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/ws", nil))
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusServiceUnavailable || body.Error.Code != "unavailable" {
		t.Fatalf("without a WebSocket handler: %d %s", rec.Code, rec.Body)
	}

	a = New(nil, nil, Options{WebSocket: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})})
	rec = httptest.NewRecorder()
	a.Public().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/ws", nil))
	if rec.Code != http.StatusTeapot {
		t.Fatalf("with a handler: %d, want the handler's answer", rec.Code)
	}
	rec = httptest.NewRecorder()
	a.Admin().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/ws", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("on the admin listener: %d, want 404", rec.Code)
	}
}

func TestStreams(t *testing.T) {
	for target, want := range map[string]bool{
		"GET /api/v1/collections/c/watch":           true,
		"GET /api/v1/collections/c/watch?since=3":   true,
		"POST /api/v1/collections/c/watch":          false,
		"GET /api/v1/collections/c/documents/watch": false,
		"GET /api/v1/collections//watch":            false,
		"GET /api/v1/me":                            false,
	} {
		method, url, _ := strings.Cut(target, " ")
		if got := Streams(httptest.NewRequest(method, url, nil)); got != want {
			t.Errorf("Streams(%s) = %v, want %v", target, got, want)
		}
	}
}
