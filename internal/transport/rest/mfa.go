package rest

import "net/http"

type mfaLoginRequest struct {
	MFAToken string `json:"mfa_token"`
	Code     string `json:"code"`
}

// mfaLogin is the second step of a sign-in that answered mfa_required.
func (a *API) mfaLogin(w http.ResponseWriter, r *http.Request) error {
	var req mfaLoginRequest
	if err := a.decode(r, &req); err != nil {
		return err
	}
	toks, err := a.id.CompleteMFA(r.Context(), req.MFAToken, req.Code, meta(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, toks)
	return nil
}

// enrolTOTP takes no input; an empty body or {} both do.
func (a *API) enrolTOTP(w http.ResponseWriter, r *http.Request) error {
	var req struct{}
	if err := a.decodeOptional(r, &req); err != nil {
		return err
	}
	e, err := a.id.EnrolTOTP(r.Context(), caller(r), meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

type codeRequest struct {
	Code string `json:"code"`
}

type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (a *API) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := a.decode(r, &req); err != nil {
		return err
	}
	codes, err := a.id.ConfirmTOTP(r.Context(), caller(r), req.Code, meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recoveryCodesResponse{codes})
	return nil
}

func (a *API) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := a.decode(r, &req); err != nil {
		return err
	}
	if err := a.id.DisableTOTP(r.Context(), caller(r), req.Code, meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	var req codeRequest
	if err := a.decode(r, &req); err != nil {
		return err
	}
	codes, err := a.id.RegenerateRecoveryCodes(r.Context(), caller(r), req.Code, meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recoveryCodesResponse{codes})
	return nil
}

// resetMFA lets an admin remove a user's second factor.
func (a *API) resetMFA(w http.ResponseWriter, r *http.Request) error {
	if err := a.id.ResetMFA(r.Context(), principals(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
