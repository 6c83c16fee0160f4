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
	toks, err := a.id.Login(r.Context(), req.Username, req.Password)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, toks)
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
