package rest

import (
	"net/http"

	"rampart.dev/rampart/internal/errs"
)

var errNotYet = errs.E(errs.Unavailable, "not available yet")

func (a *API) mfaLogin(w http.ResponseWriter, r *http.Request) error                { return errNotYet }
func (a *API) enrolTOTP(w http.ResponseWriter, r *http.Request) error               { return errNotYet }
func (a *API) confirmTOTP(w http.ResponseWriter, r *http.Request) error             { return errNotYet }
func (a *API) disableTOTP(w http.ResponseWriter, r *http.Request) error             { return errNotYet }
func (a *API) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request) error { return errNotYet }
