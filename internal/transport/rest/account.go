package rest

import "net/http"

func (a *API) register(w http.ResponseWriter, r *http.Request) error      { return errNotYet }
func (a *API) recoverLogin(w http.ResponseWriter, r *http.Request) error  { return errNotYet }
func (a *API) unlockUser(w http.ResponseWriter, r *http.Request) error    { return errNotYet }
func (a *API) updateProfile(w http.ResponseWriter, r *http.Request) error { return errNotYet }
