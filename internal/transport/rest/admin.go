package rest

import (
	"net/http"
	"strconv"

	"rampart.dev/rampart/internal/docs"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/store"
)

func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var req identity.NewUser
	if err := a.decode(r, &req); err != nil {
		return err
	}
	d, err := a.id.CreateUser(r.Context(), principals(r), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

// page reads ?limit= and ?after= for admin listings.
func page(r *http.Request) (int, string, error) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, "", errs.E(errs.InvalidArgument, "limit must be 1 to 1000")
		}
		limit = n
	}
	after := r.URL.Query().Get("after")
	if after != "" {
		if err := store.ValidID(after); err != nil {
			return 0, "", err
		}
	}
	return limit, after, nil
}

type listFunc func(*http.Request, int, string) ([]store.Doc, error)

func (a *API) list(w http.ResponseWriter, r *http.Request, key string, fn listFunc) error {
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	list, err := fn(r, limit, after)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Doc{}
	}
	writeJSON(w, http.StatusOK, map[string]any{key: list})
	return nil
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	return a.list(w, r, "users", func(r *http.Request, limit int, after string) ([]store.Doc, error) {
		return a.id.ListUsers(r.Context(), principals(r), limit, after)
	})
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	d, err := a.id.GetUser(r.Context(), principals(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	var req identity.UserPatch
	if err := a.decode(r, &req); err != nil {
		return err
	}
	d, err := a.id.UpdateUser(r.Context(), principals(r), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := a.id.DeleteUser(r.Context(), principals(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type roleRequest struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

func (a *API) createRole(w http.ResponseWriter, r *http.Request) error {
	var req roleRequest
	if err := a.decode(r, &req); err != nil {
		return err
	}
	d, err := a.id.CreateRole(r.Context(), principals(r), req.Name, req.Members)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (a *API) listRoles(w http.ResponseWriter, r *http.Request) error {
	return a.list(w, r, "roles", func(r *http.Request, limit int, after string) ([]store.Doc, error) {
		return a.id.ListRoles(r.Context(), principals(r), limit, after)
	})
}

func (a *API) getRole(w http.ResponseWriter, r *http.Request) error {
	d, err := a.id.GetRole(r.Context(), principals(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if err := a.id.DeleteRole(r.Context(), principals(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type membersRequest struct {
	// A pointer tells a missing list from an empty one: leaving it out
	// must not clear the role.
	Members *[]string `json:"members"`
}

func (a *API) setMembers(w http.ResponseWriter, r *http.Request) error {
	var req membersRequest
	if err := a.decode(r, &req); err != nil {
		return err
	}
	if req.Members == nil {
		return errs.E(errs.InvalidArgument, "members is required; send [] to remove every member")
	}
	d, err := a.id.SetMembers(r.Context(), principals(r), r.PathValue("id"), *req.Members)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) putCollection(w http.ResponseWriter, r *http.Request) error {
	var req docs.Settings
	if err := a.decode(r, &req); err != nil {
		return err
	}
	c, err := a.docs.PutCollection(r.Context(), principals(r), r.PathValue("c"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) getCollection(w http.ResponseWriter, r *http.Request) error {
	c, err := a.docs.GetCollection(r.Context(), principals(r), r.PathValue("c"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) createIndex(w http.ResponseWriter, r *http.Request) error {
	var req docs.IndexSpec
	if err := a.decode(r, &req); err != nil {
		return err
	}
	ix, err := a.docs.CreateIndex(r.Context(), principals(r), r.PathValue("c"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ix)
	return nil
}

func (a *API) listIndexes(w http.ResponseWriter, r *http.Request) error {
	list, err := a.docs.Indexes(r.Context(), principals(r), r.PathValue("c"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"indexes": list})
	return nil
}

func (a *API) dropIndex(w http.ResponseWriter, r *http.Request) error {
	if err := a.docs.DropIndex(r.Context(), principals(r), r.PathValue("c"), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
