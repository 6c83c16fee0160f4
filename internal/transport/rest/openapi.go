package rest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// The OpenAPI document is built from operations (openapi_ops.go), one entry
// per registered pattern, and the schemas in openapi_schemas.json. A test
// holds the entries and the routers to the same set of patterns.

//go:embed openapi_schemas.json
var schemasJSON []byte

// served says which listeners serve an operation.
type served int

const (
	onPublic served = 1 << iota
	onAdmin
	onBoth = onPublic | onAdmin
)

// credential is what an operation needs from its caller.
type credential int

const (
	anonymous credential = iota
	bearer               // an access token or API key
	admin                // the same, of a member of admins
)

// operation describes one endpoint for the OpenAPI document.
type operation struct {
	id, summary string
	on          served
	auth        credential
	body        string // request schema, if any
	optional    bool   // an empty body stands for {}
	status      int    // success status
	result      string // success schema; "" for no body
	media       string // success media type when not JSON
	query       []string
	headers     []string
}

// pathParams describe the wildcards of the patterns.
var pathParams = map[string]map[string]any{
	"c":    {"description": "Collection name.", "schema": map[string]any{"type": "string"}},
	"id":   {"description": "Object id.", "schema": map[string]any{"type": "string"}},
	"n":    {"description": "Document version.", "schema": map[string]any{"type": "integer", "minimum": 1}},
	"name": {"description": "Index name.", "schema": map[string]any{"type": "string"}},
}

// extraParams are the query and header parameters operations name.
var extraParams = map[string]map[string]any{
	"since":         {"in": "query", "description": "Change sequence to resume after.", "schema": map[string]any{"type": "integer", "minimum": 0}},
	"limit":         {"in": "query", "description": "Page size, 1 to 1000.", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 1000}},
	"after":         {"in": "query", "description": "Id the page starts after.", "schema": map[string]any{"type": "string"}},
	"kind":          {"in": "query", "description": "Comma-separated event kinds.", "schema": map[string]any{"type": "string"}},
	"actor":         {"in": "query", "description": "Actor id.", "schema": map[string]any{"type": "string"}},
	"subject":       {"in": "query", "description": "Subject id.", "schema": map[string]any{"type": "string"}},
	"since_time":    {"in": "query", "name": "since", "description": "RFC 3339 time the entries start at.", "schema": map[string]any{"type": "string", "format": "date-time"}},
	"until":         {"in": "query", "description": "RFC 3339 time the entries end before.", "schema": map[string]any{"type": "string", "format": "date-time"}},
	"after_seq":     {"in": "query", "name": "after", "description": "Entry sequence the page starts after.", "schema": map[string]any{"type": "integer"}},
	"If-Match":      {"in": "header", "description": "The version the document must have, e.g. \"3\".", "schema": map[string]any{"type": "string"}},
	"Last-Event-ID": {"in": "header", "description": "Change sequence to resume after, as a reconnecting browser sends it.", "schema": map[string]any{"type": "string"}},
}

var wildcard = regexp.MustCompile(`\{([a-z]+)\}`)

// openapiDoc is the encoded document; it never changes while running.
var openapiDoc = sync.OnceValues(func() ([]byte, error) { return json.Marshal(buildOpenAPI()) })

func (a *API) openapi(w http.ResponseWriter, r *http.Request) error {
	doc, err := openapiDoc()
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Type", "application/json")
	w.Write(doc)
	return nil
}

// buildOpenAPI renders the document as plain JSON values.
func buildOpenAPI() map[string]any {
	var schemas map[string]any
	if err := json.Unmarshal(schemasJSON, &schemas); err != nil {
		panic(fmt.Sprintf("openapi_schemas.json: %v", err)) // caught by the tests
	}
	paths := map[string]map[string]any{}
	for pattern, op := range operations {
		method, path, _ := strings.Cut(pattern, " ")
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(method)] = op.render(path)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Rampart REST API",
			"version": "1",
			"description": "Rampart's REST surface. Operations tagged public are served on the public listener " +
				"(default 127.0.0.1:8443), those tagged admin on the admin listener (default 127.0.0.1:8444). " +
				"Every error answers with the Error body and the HTTP status of its code.",
		},
		"tags": []any{
			map[string]any{"name": "public", "description": "Served on the public listener."},
			map[string]any{"name": "admin", "description": "Served on the admin listener, to admins only unless anonymous."},
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"apiKey": []any{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "An access token, or an API key as the bearer token."},
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
			"responses": map[string]any{
				"Error": map[string]any{"description": "An error.", "content": jsonContentOf("Error")},
			},
		},
	}
}

func (op operation) render(path string) map[string]any {
	out := map[string]any{
		"operationId": op.id,
		"summary":     op.summary,
		"tags":        op.tags(),
		"responses":   op.responses(),
	}
	if op.auth == anonymous {
		out["security"] = []any{} // overrides the document's default
	} else if op.auth == admin {
		out["description"] = "Admins only."
	}
	if params := op.params(path); len(params) > 0 {
		out["parameters"] = params
	}
	if op.body != "" {
		out["requestBody"] = map[string]any{"required": !op.optional, "content": jsonContentOf(op.body)}
	}
	return out
}

func (op operation) tags() []any {
	var t []any
	if op.on&onPublic != 0 {
		t = append(t, "public")
	}
	if op.on&onAdmin != 0 {
		t = append(t, "admin")
	}
	return t
}

func (op operation) params(path string) []any {
	var out []any
	for _, m := range wildcard.FindAllStringSubmatch(path, -1) {
		p := map[string]any{"name": m[1], "in": "path", "required": true}
		for k, v := range pathParams[m[1]] {
			p[k] = v
		}
		out = append(out, p)
	}
	for _, name := range append(op.query, op.headers...) {
		p := map[string]any{"name": name}
		for k, v := range extraParams[name] {
			p[k] = v
		}
		out = append(out, p)
	}
	return out
}

func (op operation) responses() map[string]any {
	ok := map[string]any{"description": http.StatusText(op.status)}
	switch {
	case op.media != "" && op.result != "":
		ok["content"] = map[string]any{op.media: map[string]any{"schema": ref(op.result)}}
	case op.media != "":
		ok["content"] = map[string]any{op.media: map[string]any{"schema": map[string]any{"type": "string"}}}
	case op.result != "":
		ok["content"] = jsonContentOf(op.result)
	}
	return map[string]any{
		strconv.Itoa(op.status): ok,
		"default":               ref("#/components/responses/Error"),
	}
}

func jsonContentOf(schema string) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": ref(schema)}}
}

// ref points at a component; a bare name means a schema.
func ref(to string) map[string]any {
	if !strings.HasPrefix(to, "#") {
		to = "#/components/schemas/" + to
	}
	return map[string]any{"$ref": to}
}
