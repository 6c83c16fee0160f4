package client

import (
	"context"
	"encoding/json"
	"iter"
	"strings"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
)

// The calls in this file go to the admin listener (WithAdminURL) and need
// a member of admins.

// NewUser describes a user to create.
type NewUser struct {
	Username string
	Password string
	Name     string
	Email    string
}

// UserUpdate changes the fields that are not nil.
type UserUpdate struct {
	Name     *string
	Email    *string
	Disabled *bool
	Password *string
}

// CreateUser creates a user and returns its document.
func (c *Client) CreateUser(ctx context.Context, u NewUser) (Document, error) {
	a, err := c.adminClient()
	if err != nil {
		return Document{}, err
	}
	res, err := a.CreateUser(ctx, connect.NewRequest(&rampartv1.CreateUserRequest{
		Username: u.Username, Password: u.Password, Name: u.Name, Email: u.Email,
	}))
	return docResult(res, err)
}

// ListUsers yields every user, in id order.
func (c *Client) ListUsers(ctx context.Context) iter.Seq2[Document, error] {
	return c.list(ctx, func(a adminClient, r *connect.Request[rampartv1.ListRequest]) (*connect.Response[rampartv1.Documents], error) {
		return a.ListUsers(ctx, r)
	})
}

// GetUser returns a user by id.
func (c *Client) GetUser(ctx context.Context, id string) (Document, error) {
	a, err := c.adminClient()
	if err != nil {
		return Document{}, err
	}
	res, err := a.GetUser(ctx, connect.NewRequest(&rampartv1.IDRequest{Id: id}))
	return docResult(res, err)
}

// FindUser returns the user with a username (compared without case), or
// not_found.
func (c *Client) FindUser(ctx context.Context, username string) (Document, error) {
	for d, err := range c.ListUsers(ctx) {
		if err != nil {
			return Document{}, err
		}
		var u struct {
			Username string `json:"username"`
		}
		if json.Unmarshal(d.Raw, &u) == nil && strings.EqualFold(u.Username, username) {
			return d, nil
		}
	}
	return Document{}, &Error{Code: NotFound, Message: "user not found"}
}

// UpdateUser changes a user's profile, password or state.
func (c *Client) UpdateUser(ctx context.Context, id string, u UserUpdate) (Document, error) {
	a, err := c.adminClient()
	if err != nil {
		return Document{}, err
	}
	res, err := a.UpdateUser(ctx, connect.NewRequest(&rampartv1.UpdateUserRequest{
		Id: id, Name: u.Name, Email: u.Email, Disabled: u.Disabled, Password: u.Password,
	}))
	return docResult(res, err)
}

// SetUserDisabled disables a user (its sessions stop working) or enables it.
func (c *Client) SetUserDisabled(ctx context.Context, id string, disabled bool) (Document, error) {
	return c.UpdateUser(ctx, id, UserUpdate{Disabled: &disabled})
}

// DeleteUser deletes a user and everything it owned.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	return c.byID(ctx, id, adminClient.DeleteUser)
}

// UnlockUser clears a user's failed sign-ins and lock.
func (c *Client) UnlockUser(ctx context.Context, id string) error {
	return c.byID(ctx, id, adminClient.UnlockUser)
}

// ResetUserMFA removes a user's second factor, for a lost device.
func (c *Client) ResetUserMFA(ctx context.Context, id string) error {
	return c.byID(ctx, id, adminClient.ResetMFA)
}

// CreateRole creates a role with members (user or role ids).
func (c *Client) CreateRole(ctx context.Context, name string, members ...string) (Document, error) {
	a, err := c.adminClient()
	if err != nil {
		return Document{}, err
	}
	res, err := a.CreateRole(ctx, connect.NewRequest(&rampartv1.CreateRoleRequest{Name: name, Members: members}))
	return docResult(res, err)
}

// ListRoles yields every role, in id order.
func (c *Client) ListRoles(ctx context.Context) iter.Seq2[Document, error] {
	return c.list(ctx, func(a adminClient, r *connect.Request[rampartv1.ListRequest]) (*connect.Response[rampartv1.Documents], error) {
		return a.ListRoles(ctx, r)
	})
}

// GetRole returns a role by id.
func (c *Client) GetRole(ctx context.Context, id string) (Document, error) {
	a, err := c.adminClient()
	if err != nil {
		return Document{}, err
	}
	res, err := a.GetRole(ctx, connect.NewRequest(&rampartv1.IDRequest{Id: id}))
	return docResult(res, err)
}

// DeleteRole deletes a role.
func (c *Client) DeleteRole(ctx context.Context, id string) error {
	return c.byID(ctx, id, adminClient.DeleteRole)
}

// SetRoleMembers replaces a role's members; an empty list empties it.
func (c *Client) SetRoleMembers(ctx context.Context, id string, members []string) (Document, error) {
	a, err := c.adminClient()
	if err != nil {
		return Document{}, err
	}
	if members == nil {
		members = []string{}
	}
	res, err := a.SetMembers(ctx, connect.NewRequest(&rampartv1.SetMembersRequest{Id: id, Members: members}))
	return docResult(res, err)
}

// RoleMembers returns the ids of a role's direct members.
func (c *Client) RoleMembers(ctx context.Context, id string) ([]string, error) {
	d, err := c.GetRole(ctx, id)
	if err != nil {
		return nil, err
	}
	var r struct {
		Members []string `json:"members"`
	}
	if err := d.Decode(&r); err != nil {
		return nil, &Error{Code: Internal, Message: "the server answered with a malformed role", cause: err}
	}
	return r.Members, nil
}

// adminClient is the generated admin service, named for method expressions.
type adminClient = rampartv1connect.AdminServiceClient

type idCall func(adminClient, context.Context, *connect.Request[rampartv1.IDRequest]) (*connect.Response[rampartv1.Empty], error)

func (c *Client) byID(ctx context.Context, id string, call idCall) error {
	a, err := c.adminClient()
	if err != nil {
		return err
	}
	_, err = call(a, ctx, connect.NewRequest(&rampartv1.IDRequest{Id: id}))
	return convert(err)
}

// listPage is the page size of user and role listings.
const listPage = 500

type listCall func(adminClient, *connect.Request[rampartv1.ListRequest]) (*connect.Response[rampartv1.Documents], error)

// list pages through users or roles by id: a short page is the last.
func (c *Client) list(ctx context.Context, call listCall) iter.Seq2[Document, error] {
	return func(yield func(Document, error) bool) {
		a, err := c.adminClient()
		if err != nil {
			yield(Document{}, err)
			return
		}
		after := ""
		for {
			n := int32(listPage)
			res, err := call(a, connect.NewRequest(&rampartv1.ListRequest{Limit: &n, After: after}))
			if err != nil {
				yield(Document{}, convert(err))
				return
			}
			docs, err := parseDocuments(res.Msg.GetDocuments())
			if err != nil {
				yield(Document{}, err)
				return
			}
			for _, d := range docs {
				if !yield(d, nil) {
					return
				}
			}
			if len(docs) < listPage {
				return
			}
			after = docs[len(docs)-1].ID
		}
	}
}

func docResult(res *connect.Response[rampartv1.Document], err error) (Document, error) {
	if err != nil {
		return Document{}, convert(err)
	}
	return parseDocument(res.Msg)
}
