package sqlstore

import (
	"context"
	"database/sql"
)

// Constant statements are prepared once per pool and reused: parsing SQL on
// every call was a fifth of the single writer's time on SQLite.

type stmtKey struct {
	db   *sql.DB
	text string
}

// prepared returns db's prepared form of a constant statement, preparing it
// on first use. Not for the single writer connection: preparing there while
// a transaction holds it would wait forever (see writerStmt).
func (s *Store) prepared(ctx context.Context, db *sql.DB, text string) (*sql.Stmt, error) {
	key := stmtKey{db, text}
	if st, ok := s.prep.Load(key); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, s.sql(text))
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.prep.LoadOrStore(key, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

func (s *Store) closeStatements() {
	s.prep.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		s.prep.Delete(k)
		return true
	})
}

// scanner is a row to scan, or the error that stopped it from being read.
type scanner interface{ Scan(dest ...any) error }

type errScanner struct{ err error }

func (e errScanner) Scan(...any) error { return e.err }

// conn runs constant statements on the read pool or inside a transaction.
type conn interface {
	row(text string, args ...any) scanner
	rows(text string, args ...any) (*sql.Rows, error)
}

// reader is the read pool as a conn.
type reader struct {
	s   *Store
	ctx context.Context
}

func (s *Store) reader(ctx context.Context) reader { return reader{s, ctx} }

func (r reader) row(text string, args ...any) scanner {
	st, err := r.s.prepared(r.ctx, r.s.read, text)
	if err != nil {
		return errScanner{err}
	}
	return st.QueryRowContext(r.ctx, args...)
}

func (r reader) rows(text string, args ...any) (*sql.Rows, error) {
	st, err := r.s.prepared(r.ctx, r.s.read, text)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(r.ctx, args...)
}

// writerStmt returns the writer's prepared statement if there is one yet.
// A miss is remembered and prepared after the batch commits, when the
// writer's connection is free.
func (s *Store) writerStmt(text string) *sql.Stmt {
	if st, ok := s.prep.Load(stmtKey{s.cfg.Write, text}); ok {
		return st.(*sql.Stmt)
	}
	s.pending.Store(text, struct{}{})
	return nil
}

// preparePending prepares the statements transactions missed; it runs in
// the committer between batches.
func (s *Store) preparePending() {
	s.pending.Range(func(k, _ any) bool {
		s.pending.Delete(k)
		if _, err := s.prepared(context.Background(), s.cfg.Write, k.(string)); err != nil {
			return false // the next batch will ask again
		}
		return true
	})
}

// stmt binds the writer's prepared statement to the transaction, which on
// the writer's connection reuses it; nil means run the text unprepared.
func (t *tx) stmt(text string) *sql.Stmt {
	if st := t.s.writerStmt(text); st != nil {
		return t.tx.StmtContext(t.ctx, st)
	}
	return nil
}

func (t *tx) row(text string, args ...any) scanner {
	if st := t.stmt(text); st != nil {
		return st.QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, t.s.sql(text), args...)
}

func (t *tx) rows(text string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(text); st != nil {
		return st.QueryContext(t.ctx, args...)
	}
	return t.tx.QueryContext(t.ctx, t.s.sql(text), args...)
}

func (t *tx) exec(text string, args ...any) (sql.Result, error) {
	if st := t.stmt(text); st != nil {
		return st.ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, t.s.sql(text), args...)
}
