package rest

import (
	"net/http"
	"time"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
)

// apiKeyRequest asks for a key; expires_in is in seconds.
type apiKeyRequest struct {
	Name      string          `json:"name"`
	ExpiresIn *int64          `json:"expires_in,omitempty"`
	Scopes    *identity.Scope `json:"scopes,omitempty"`
}

// maxExpiresIn keeps the conversion to a duration from overflowing; the
// service refuses anything over the configured maximum anyway.
const maxExpiresIn = int64(100 * 365 * 24 * 60 * 60)

func (a *API) keyRequest(r *http.Request) (identity.APIKeyRequest, error) {
	var req apiKeyRequest
	if err := a.decode(r, &req); err != nil {
		return identity.APIKeyRequest{}, err
	}
	out := identity.APIKeyRequest{Name: req.Name, Scopes: req.Scopes}
	if req.ExpiresIn != nil {
		n := *req.ExpiresIn
		if n <= 0 || n > maxExpiresIn {
			return identity.APIKeyRequest{}, errs.E(errs.InvalidArgument, "expires_in must be a positive number of seconds within the configured maximum")
		}
		out.ExpiresIn = time.Duration(n) * time.Second
	}
	return out, nil
}

func (a *API) createKeyFor(w http.ResponseWriter, r *http.Request, owner string) error {
	req, err := a.keyRequest(r)
	if err != nil {
		return err
	}
	k, err := a.id.CreateAPIKey(r.Context(), caller(r), owner, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, k)
	return nil
}

func (a *API) listKeysOf(w http.ResponseWriter, r *http.Request, owner string) error {
	list, err := a.id.ListAPIKeys(r.Context(), caller(r), owner)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"api_keys": list})
	return nil
}

func (a *API) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	return a.createKeyFor(w, r, "")
}

func (a *API) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	return a.listKeysOf(w, r, "")
}

func (a *API) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	if err := a.id.RevokeAPIKey(r.Context(), caller(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) rotateAPIKey(w http.ResponseWriter, r *http.Request) error {
	k, err := a.id.RotateAPIKey(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, k)
	return nil
}

func (a *API) createUserAPIKey(w http.ResponseWriter, r *http.Request) error {
	return a.createKeyFor(w, r, userPath(r))
}

func (a *API) listUserAPIKeys(w http.ResponseWriter, r *http.Request) error {
	return a.listKeysOf(w, r, userPath(r))
}

// userPath is the {id} of an admin path; "" would mean the caller, so an
// empty id is passed on as one that can never exist.
func userPath(r *http.Request) string {
	if id := r.PathValue("id"); id != "" {
		return id
	}
	return "-"
}
