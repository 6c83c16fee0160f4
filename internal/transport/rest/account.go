package rest

import (
	"net/http"

	"rampart.dev/rampart/internal/identity"
)

// register creates an account for anyone while self-registration is on;
// while it is off the endpoint answers 404 like a missing one.
func (a *API) register(w http.ResponseWriter, r *http.Request) error {
	var req identity.NewUser
	if err := a.decode(r, &req); err != nil {
		return err
	}
	d, err := a.id.Register(r.Context(), req, meta(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, d)
	return nil
}

type recoverRequest struct {
	Token string `json:"token"`
}

// recoverLogin signs in with a one-time break-glass token.
func (a *API) recoverLogin(w http.ResponseWriter, r *http.Request) error {
	var req recoverRequest
	if err := a.decode(r, &req); err != nil {
		return err
	}
	toks, err := a.id.Recover(r.Context(), req.Token, meta(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, toks)
	return nil
}

func (a *API) unlockUser(w http.ResponseWriter, r *http.Request) error {
	if err := a.id.Unlock(r.Context(), principals(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) updateProfile(w http.ResponseWriter, r *http.Request) error {
	var req identity.ProfilePatch
	if err := a.decode(r, &req); err != nil {
		return err
	}
	d, err := a.id.UpdateProfile(r.Context(), caller(r), req, meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
