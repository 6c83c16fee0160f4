package rest

import "net/http"

func (a *API) createAPIKey(w http.ResponseWriter, r *http.Request) error     { return errNotYet }
func (a *API) listAPIKeys(w http.ResponseWriter, r *http.Request) error      { return errNotYet }
func (a *API) revokeAPIKey(w http.ResponseWriter, r *http.Request) error     { return errNotYet }
func (a *API) rotateAPIKey(w http.ResponseWriter, r *http.Request) error     { return errNotYet }
func (a *API) createUserAPIKey(w http.ResponseWriter, r *http.Request) error { return errNotYet }
func (a *API) listUserAPIKeys(w http.ResponseWriter, r *http.Request) error  { return errNotYet }
