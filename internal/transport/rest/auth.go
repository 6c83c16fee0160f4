package rest

import (
	"net/http"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := a.decode(r, &req); err != nil {
		return err
	}
	res, err := a.id.Login(r.Context(), req.Username, req.Password, meta(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if res.MFA != nil {
		writeJSON(w, http.StatusOK, res.MFA)
		return nil
	}
	writeJSON(w, http.StatusOK, res.Tokens)
	return nil
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (a *API) refresh(w http.ResponseWriter, r *http.Request) error {
	var req refreshRequest
	if err := a.decode(r, &req); err != nil {
		return err
	}
	toks, err := a.id.Refresh(r.Context(), req.RefreshToken)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, toks)
	return nil
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) error {
	if err := a.id.Logout(r.Context(), caller(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) sessions(w http.ResponseWriter, r *http.Request) error {
	list, err := a.id.Sessions(r.Context(), caller(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": list})
	return nil
}

func (a *API) revokeSession(w http.ResponseWriter, r *http.Request) error {
	if err := a.id.RevokeSession(r.Context(), caller(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type passwordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

func (a *API) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := a.decode(r, &req); err != nil {
		return err
	}
	if err := a.id.ChangePassword(r.Context(), caller(r), req.Current, req.New); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	p := principals(r)
	user, roles, err := a.id.Me(r.Context(), p)
	if err != nil {
		return err
	}
	if roles == nil {
		roles = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": user, "roles": roles})
	return nil
}

func (a *API) jwks(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(a.id.Keys().JWKS())
	return nil
}

// discovery publishes enough OpenID metadata for token verifiers to find
// the keys; the full provider metadata arrives with the OIDC provider.
func (a *API) discovery(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                a.opt.Issuer,
		"jwks_uri":                              a.opt.Issuer + "/.well-known/jwks.json",
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"subject_types_supported":               []string{"public"},
		"response_types_supported":              []string{"code"},
	})
	return nil
}
