package rest

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"rampart.dev/rampart/internal/errs"
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    errs.Code      `json:"code"`
	Message string         `json:"message"`
	ID      string         `json:"id"`
	Details map[string]any `json:"details,omitempty"`
}

// writeError answers with err's code and public message. Internal errors
// are logged with the request id and shown only as "internal error".
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := errs.Public(err)
	id := requestID(r)
	if code == errs.Internal {
		a.log.Error("request failed", "id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		a.log.Debug("request refused", "id", id, "method", r.Method, "path", r.URL.Path, "code", code, "msg", msg)
	}
	if code == errs.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="rampart"`)
	}
	var details map[string]any
	if code != errs.Internal {
		details = errs.DetailsOf(err)
	}
	writeJSON(w, code.HTTPStatus(), errorBody{errorDetail{Code: code, Message: msg, ID: id, Details: details}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode response", "err", err)
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
