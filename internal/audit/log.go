package audit

import (
	"context"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// Log is the read side of the audit log that the admin API serves.
type Log struct{ r store.Reader }

// NewLog serves reads of r's audit log.
func NewLog(r store.Reader) *Log { return &Log{r: r} }

// List returns one page of entries matching q. Only admins may read the
// audit log; an invalid q is an invalid_argument error.
func (l *Log) List(ctx context.Context, p acl.Principals, q store.AuditQuery) ([]store.AuditEntry, error) {
	if !p.Admin {
		return nil, errs.E(errs.PermissionDenied, "only admins may read the audit log")
	}
	return l.r.Audit(ctx, q)
}
