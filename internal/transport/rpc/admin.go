package rpc

import (
	"context"
	"time"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/docs"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/store"
)

var adminService = serviceOf(rampartv1.File_rampart_v1_admin_proto, "AdminService")

// adminRoutes mirror REST's admin listener, admins only.
func (s *Server) adminRoutes() []route {
	a := adminService
	return []route{
		unary(s, a, "CreateUser", adminsOnly, s.createUser),
		unary(s, a, "ListUsers", adminsOnly, s.listUsers),
		unary(s, a, "GetUser", adminsOnly, s.getUser),
		unary(s, a, "UpdateUser", adminsOnly, s.updateUser),
		unary(s, a, "DeleteUser", adminsOnly, s.idCall(func(ctx context.Context, p acl.Principals, id string) error { return s.id.DeleteUser(ctx, p, id) })),
		unary(s, a, "UnlockUser", adminsOnly, s.idCall(func(ctx context.Context, p acl.Principals, id string) error { return s.id.Unlock(ctx, p, id) })),
		unary(s, a, "ResetMFA", adminsOnly, s.idCall(func(ctx context.Context, p acl.Principals, id string) error { return s.id.ResetMFA(ctx, p, id) })),
		unary(s, a, "CreateRole", adminsOnly, s.createRole),
		unary(s, a, "ListRoles", adminsOnly, s.listRoles),
		unary(s, a, "GetRole", adminsOnly, s.getRole),
		unary(s, a, "DeleteRole", adminsOnly, s.idCall(func(ctx context.Context, p acl.Principals, id string) error { return s.id.DeleteRole(ctx, p, id) })),
		unary(s, a, "SetMembers", adminsOnly, s.setMembers),
		unary(s, a, "PutCollection", adminsOnly, s.putCollection),
		unary(s, a, "GetCollection", adminsOnly, s.getCollection),
		unary(s, a, "CreateIndex", adminsOnly, s.createIndex),
		unary(s, a, "ListIndexes", adminsOnly, s.listIndexes),
		unary(s, a, "DropIndex", adminsOnly, s.dropIndex),
		unary(s, a, "ListAudit", adminsOnly, s.listAudit),
	}
}

// idCall serves a procedure that acts on one user or role and answers nothing.
func (s *Server) idCall(fn func(context.Context, acl.Principals, string) error) func(context.Context, *rampartv1.IDRequest) (*rampartv1.Empty, error) {
	return func(ctx context.Context, req *rampartv1.IDRequest) (*rampartv1.Empty, error) {
		if err := required("id", req.GetId()); err != nil {
			return nil, err
		}
		return &rampartv1.Empty{}, fn(ctx, principals(ctx), req.GetId())
	}
}

func (s *Server) createUser(ctx context.Context, req *rampartv1.CreateUserRequest) (*rampartv1.Document, error) {
	u := identity.NewUser{Username: req.GetUsername(), Password: req.GetPassword(), Name: req.GetName(), Email: req.GetEmail()}
	d, err := s.id.CreateUser(ctx, principals(ctx), u)
	if err != nil {
		return nil, err
	}
	return document(d)
}

// page reads a listing's limit and keyset as REST reads ?limit= and ?after=.
func page(req *rampartv1.ListRequest) (int, string, error) {
	limit := 100
	if req.Limit != nil {
		if n := req.GetLimit(); n < 1 || n > 1000 {
			return 0, "", errs.E(errs.InvalidArgument, "limit must be 1 to 1000")
		}
		limit = int(req.GetLimit())
	}
	if after := req.GetAfter(); after != "" {
		if err := store.ValidID(after); err != nil {
			return 0, "", err
		}
	}
	return limit, req.GetAfter(), nil
}

type listFunc func(ctx context.Context, p acl.Principals, limit int, after string) ([]store.Doc, error)

func (s *Server) list(ctx context.Context, req *rampartv1.ListRequest, fn listFunc) (*rampartv1.Documents, error) {
	limit, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, err := fn(ctx, principals(ctx), limit, after)
	if err != nil {
		return nil, err
	}
	return documents(list)
}

func (s *Server) listUsers(ctx context.Context, req *rampartv1.ListRequest) (*rampartv1.Documents, error) {
	return s.list(ctx, req, s.id.ListUsers)
}

func (s *Server) listRoles(ctx context.Context, req *rampartv1.ListRequest) (*rampartv1.Documents, error) {
	return s.list(ctx, req, s.id.ListRoles)
}

func (s *Server) getUser(ctx context.Context, req *rampartv1.IDRequest) (*rampartv1.Document, error) {
	if err := required("id", req.GetId()); err != nil {
		return nil, err
	}
	d, err := s.id.GetUser(ctx, principals(ctx), req.GetId())
	if err != nil {
		return nil, err
	}
	return document(d)
}

func (s *Server) updateUser(ctx context.Context, req *rampartv1.UpdateUserRequest) (*rampartv1.Document, error) {
	if err := required("id", req.GetId()); err != nil {
		return nil, err
	}
	patch := identity.UserPatch{Name: req.Name, Email: req.Email, Disabled: req.Disabled, Password: req.Password}
	d, err := s.id.UpdateUser(ctx, principals(ctx), req.GetId(), patch)
	if err != nil {
		return nil, err
	}
	return document(d)
}

func (s *Server) createRole(ctx context.Context, req *rampartv1.CreateRoleRequest) (*rampartv1.Document, error) {
	d, err := s.id.CreateRole(ctx, principals(ctx), req.GetName(), req.GetMembers())
	if err != nil {
		return nil, err
	}
	return document(d)
}

func (s *Server) getRole(ctx context.Context, req *rampartv1.IDRequest) (*rampartv1.Document, error) {
	if err := required("id", req.GetId()); err != nil {
		return nil, err
	}
	d, err := s.id.GetRole(ctx, principals(ctx), req.GetId())
	if err != nil {
		return nil, err
	}
	return document(d)
}

// setMembers replaces a role's members. A protobuf list cannot tell "left
// out" from "empty", so an empty list empties the role.
func (s *Server) setMembers(ctx context.Context, req *rampartv1.SetMembersRequest) (*rampartv1.Document, error) {
	if err := required("id", req.GetId()); err != nil {
		return nil, err
	}
	members := req.GetMembers()
	if members == nil {
		members = []string{}
	}
	d, err := s.id.SetMembers(ctx, principals(ctx), req.GetId(), members)
	if err != nil {
		return nil, err
	}
	return document(d)
}

func (s *Server) putCollection(ctx context.Context, req *rampartv1.PutCollectionRequest) (*rampartv1.CollectionSettings, error) {
	in := req.GetSettings()
	if in == nil {
		return nil, errs.E(errs.InvalidArgument, "settings is required")
	}
	if in.GetSystem() {
		return nil, errs.E(errs.InvalidArgument, "system is set by the server")
	}
	set := docs.Settings{History: in.History, Replicate: in.Replicate}
	if in.Priority != nil {
		n := int(in.GetPriority())
		set.Priority = &n
	}
	if in.GetCreateAclSet() {
		set.CreateACL = acl.List{}
		for _, e := range in.GetCreateAcl() {
			set.CreateACL = append(set.CreateACL, acl.Entry{ID: e.GetId(), Rights: acl.Right(e.GetRights()), Deny: e.GetDeny()})
		}
	} else if len(in.GetCreateAcl()) > 0 {
		return nil, errs.E(errs.InvalidArgument, "set create_acl_set to replace the create ACL")
	}
	if f := in.GetEncryptedFields(); len(f) > 0 {
		set.EncryptedFields = f
	}
	if f := in.GetSearchableFields(); len(f) > 0 {
		set.SearchableFields = f
	}
	c, err := s.docs.PutCollection(ctx, principals(ctx), in.GetName(), set)
	if err != nil {
		return nil, err
	}
	return collection(c), nil
}

func (s *Server) getCollection(ctx context.Context, req *rampartv1.NameRequest) (*rampartv1.CollectionSettings, error) {
	c, err := s.docs.GetCollection(ctx, principals(ctx), req.GetName())
	if err != nil {
		return nil, err
	}
	return collection(c), nil
}

func collection(c store.Collection) *rampartv1.CollectionSettings {
	out := &rampartv1.CollectionSettings{
		Name: c.Name, History: &c.History, Replicate: &c.Replicate, CreateAclSet: true,
		EncryptedFields: c.EncryptedFields, SearchableFields: c.SearchableFields, System: c.System,
	}
	p := int32(c.Priority)
	out.Priority = &p
	for _, e := range c.CreateACL {
		out.CreateAcl = append(out.CreateAcl, &rampartv1.ACLEntry{Id: e.ID, Rights: uint32(e.Rights), Deny: e.Deny})
	}
	return out
}

func (s *Server) createIndex(ctx context.Context, req *rampartv1.CreateIndexRequest) (*rampartv1.Index, error) {
	ix := req.GetIndex()
	if ix == nil {
		return nil, errs.E(errs.InvalidArgument, "index is required")
	}
	spec, err := s.docs.CreateIndex(ctx, principals(ctx), req.GetCollection(), docs.IndexSpec{Name: ix.GetName(), Fields: ix.GetFields(), Unique: ix.GetUnique()})
	if err != nil {
		return nil, err
	}
	return index(spec), nil
}

func index(spec docs.IndexSpec) *rampartv1.Index {
	return &rampartv1.Index{Name: spec.Name, Fields: spec.Fields, Unique: spec.Unique}
}

func (s *Server) listIndexes(ctx context.Context, req *rampartv1.NameRequest) (*rampartv1.Indexes, error) {
	list, err := s.docs.Indexes(ctx, principals(ctx), req.GetName())
	if err != nil {
		return nil, err
	}
	out := &rampartv1.Indexes{Indexes: make([]*rampartv1.Index, len(list))}
	for i, spec := range list {
		out.Indexes[i] = index(spec)
	}
	return out, nil
}

func (s *Server) dropIndex(ctx context.Context, req *rampartv1.DropIndexRequest) (*rampartv1.Empty, error) {
	if err := required("name", req.GetName()); err != nil {
		return nil, err
	}
	return &rampartv1.Empty{}, s.docs.DropIndex(ctx, principals(ctx), req.GetCollection(), req.GetName())
}

// listAudit reads the audit log with the bounds REST's query string has.
func (s *Server) listAudit(ctx context.Context, req *rampartv1.ListAuditRequest) (*rampartv1.AuditEntries, error) {
	if s.opt.Audit == nil {
		return nil, errs.E(errs.Unavailable, "this node does not serve the audit log")
	}
	q := store.AuditQuery{Kinds: req.GetKinds(), Actor: req.GetActor(), Subject: req.GetSubject(), After: req.GetAfter(), Limit: 100}
	if req.SinceUnixNano != nil {
		q.Since = time.Unix(0, req.GetSinceUnixNano()).UTC()
	}
	if req.UntilUnixNano != nil {
		q.Until = time.Unix(0, req.GetUntilUnixNano()).UTC()
	}
	if req.Limit != nil {
		q.Limit = int(req.GetLimit())
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	list, err := s.opt.Audit.List(ctx, principals(ctx), q)
	if err != nil {
		return nil, err
	}
	out := &rampartv1.AuditEntries{Entries: make([]*rampartv1.AuditEntry, len(list))}
	for i, e := range list {
		out.Entries[i] = &rampartv1.AuditEntry{
			Seq: e.Seq, AtUnixNano: e.At.UnixNano(), Kind: e.Kind, Actor: e.Actor, Subject: e.Subject, Addr: e.Addr,
			Data: string(e.Data), PrevHash: e.PrevHash, Hash: e.Hash,
		}
	}
	return out, nil
}
