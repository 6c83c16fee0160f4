package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"rampart.dev/rampart/internal/query"
)

// migrations are applied in order, once each; a step is never edited after
// it ships, only followed by new ones. {{text}}, {{json}}, {{blob}} and
// {{serial}} are replaced by the dialect's types. Text compares byte by byte
// on both engines (SQLite's BINARY, PostgreSQL's "C"), so ids order alike.
var migrations = []string{
	`CREATE TABLE collections (
		name {{text}} PRIMARY KEY,
		settings {{json}} NOT NULL
	);
	CREATE TABLE documents (
		collection {{text}} NOT NULL,
		id {{text}} NOT NULL,
		version BIGINT NOT NULL,
		body {{json}} NOT NULL,
		PRIMARY KEY (collection, id)
	);
	CREATE TABLE doc_acl (
		collection {{text}} NOT NULL,
		doc_id {{text}} NOT NULL,
		principal {{text}} NOT NULL,
		deny SMALLINT NOT NULL,
		rights INTEGER NOT NULL,
		PRIMARY KEY (collection, doc_id, principal, deny)
	);
	CREATE INDEX doc_acl_principal ON doc_acl (collection, principal, doc_id);
	CREATE TABLE history (
		collection {{text}} NOT NULL,
		doc_id {{text}} NOT NULL,
		version BIGINT NOT NULL,
		op {{text}} NOT NULL,
		body {{json}} NOT NULL,
		at BIGINT NOT NULL,
		PRIMARY KEY (collection, doc_id, version)
	);
	CREATE TABLE changes (
		seq {{serial}},
		collection {{text}} NOT NULL,
		doc_id {{text}} NOT NULL,
		op {{text}} NOT NULL,
		version BIGINT NOT NULL,
		hlc BIGINT NOT NULL,
		origin {{text}} NOT NULL,
		priority SMALLINT NOT NULL,
		at BIGINT NOT NULL
	);
	CREATE INDEX changes_collection ON changes (collection, seq);
	CREATE TABLE indexes (
		collection {{text}} NOT NULL,
		name {{text}} NOT NULL,
		physical {{text}} NOT NULL,
		spec {{json}} NOT NULL,
		PRIMARY KEY (collection, name)
	);
	CREATE TABLE records (
		kind {{text}} NOT NULL,
		id {{text}} NOT NULL,
		owner {{text}} NOT NULL,
		data {{blob}} NOT NULL,
		expires BIGINT NOT NULL,
		updated BIGINT NOT NULL,
		PRIMARY KEY (kind, id)
	);
	CREATE INDEX records_owner ON records (kind, owner, id);`,
	// The audit log numbers its entries itself (MAX + 1 under the write
	// lock) instead of with {{serial}}: a PostgreSQL sequence hands out
	// numbers that a rolled-back write never uses, which would leave gaps
	// in a chain whose gaps mean tampering. data is text, not {{json}},
	// because JSONB would rewrite the bytes the hash covers.
	`CREATE TABLE audit (
		seq BIGINT PRIMARY KEY,
		at BIGINT NOT NULL,
		kind {{text}} NOT NULL,
		actor {{text}} NOT NULL,
		subject {{text}} NOT NULL,
		addr {{text}} NOT NULL,
		data {{text}} NOT NULL,
		prev_hash {{blob}} NOT NULL,
		hash {{blob}} NOT NULL
	);
	CREATE INDEX audit_kind ON audit (kind, seq);
	CREATE INDEX audit_actor ON audit (actor, seq);
	CREATE INDEX audit_subject ON audit (subject, seq);
	CREATE INDEX audit_at ON audit (at, seq);`,
}

func render(d query.Dialect, ddl string) string {
	types := map[query.Dialect][]string{
		query.SQLite:   {"{{text}}", "TEXT", "{{json}}", "TEXT", "{{blob}}", "BLOB", "{{serial}}", "INTEGER PRIMARY KEY AUTOINCREMENT"},
		query.Postgres: {"{{text}}", `TEXT COLLATE "C"`, "{{json}}", "JSONB", "{{blob}}", "BYTEA", "{{serial}}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"},
	}
	return strings.NewReplacer(types[d]...).Replace(ddl)
}

// migrate brings the schema up to date inside one transaction. lock, when
// set, runs first in that transaction so concurrent nodes migrate one at a
// time.
func migrate(ctx context.Context, db *sql.DB, d query.Dialect, lock string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()
	if lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d)", have, len(migrations))
	}
	for v := have; v < len(migrations); v++ {
		for _, stmt := range strings.Split(render(d, migrations[v]), ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d: %w", v+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, bind(d, `INSERT INTO schema_version (version) VALUES (?)`), v+1); err != nil {
			return fmt.Errorf("record migration %d: %w", v+1, err)
		}
	}
	return tx.Commit()
}

// bind rewrites ? placeholders of a constant statement for d. Only for SQL
// written here, which never holds a literal question mark.
func bind(d query.Dialect, stmt string) string {
	if d != query.Postgres {
		return stmt
	}
	var sb strings.Builder
	n := 0
	for _, r := range stmt {
		if r == '?' {
			n++
			fmt.Fprintf(&sb, "$%d", n)
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}
