package query

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// Cursor is the keyset position after one row: the row's sort values (JSON,
// null when missing) and its id.
type Cursor struct {
	Values []json.RawMessage
	ID     string
}

// maxCursorBytes bounds a decoded cursor; a sort value longer than this
// cannot be paged past.
const maxCursorBytes = 64 << 10

// CursorAfter captures the position of a row. Objects and arrays are
// recorded as {} and [] since they tie among themselves in sort order.
func CursorAfter(keys []SortKey, doc map[string]any, id string) Cursor {
	c := Cursor{Values: make([]json.RawMessage, len(keys)), ID: id}
	for i, k := range keys {
		if k.isID() {
			c.Values[i] = mustJSON(id)
			continue
		}
		v, _ := resolve(doc, k.Path)
		c.Values[i] = sortValueJSON(v)
	}
	return c
}

func sortValueJSON(v any) json.RawMessage {
	switch kindOf(v) {
	case kNull:
		return json.RawMessage("null")
	case kObject:
		return json.RawMessage("{}")
	case kArray:
		return json.RawMessage("[]")
	}
	return mustJSON(v)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

type cursorWire struct {
	V  []json.RawMessage `json:"v"`
	ID string            `json:"id"`
}

// Encode renders the cursor as an opaque URL-safe string.
func (c Cursor) Encode() string {
	vals := c.Values
	if vals == nil {
		vals = []json.RawMessage{}
	}
	b, _ := json.Marshal(cursorWire{V: vals, ID: c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses what Encode made, for the same sort keys. Anything
// else is invalid_argument.
func DecodeCursor(s string, keys []SortKey) (Cursor, error) {
	if base64.RawURLEncoding.DecodedLen(len(s)) > maxCursorBytes {
		return Cursor{}, invalid("cursor is too long")
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, invalid("cursor is not valid")
	}
	if err := checkRaw(raw, 0, "cursor"); err != nil {
		return Cursor{}, err
	}
	v, err := decodeJSON(raw, 3, "cursor")
	if err != nil {
		return Cursor{}, err
	}
	return cursorFromJSON(v, keys)
}

func cursorFromJSON(v any, keys []SortKey) (Cursor, error) {
	obj, ok := v.(object)
	vals, okV := lookup(obj, "v")
	id, okID := lookup(obj, "id")
	arr, okA := vals.([]any)
	ids, okS := id.(string)
	if !ok || len(obj) != 2 || !okV || !okID || !okA || !okS || ids == "" {
		return Cursor{}, invalid("cursor is not valid")
	}
	if len(arr) != len(keys) {
		return Cursor{}, invalid("cursor does not fit the sort")
	}
	if err := checkValue(ids); err != nil {
		return Cursor{}, invalid("cursor is not valid")
	}
	c := Cursor{Values: make([]json.RawMessage, len(arr)), ID: ids}
	for i, el := range arr {
		val, err := newValue(el)
		if err != nil {
			return Cursor{}, err
		}
		if keys[i].isID() && val.kind != kString {
			return Cursor{}, invalid("cursor does not fit the sort")
		}
		c.Values[i] = json.RawMessage(val.json)
	}
	return c, nil
}

// cursorValue reads back one recorded sort value.
func cursorValue(raw json.RawMessage) value {
	v, err := decodeJSON(raw, 3, "cursor")
	if err != nil {
		return value{kind: kNull, json: "null"}
	}
	val, err := newValue(v)
	if err != nil {
		return value{kind: kNull, json: "null"}
	}
	return val
}

// CompileAfter appends a boolean expression that holds exactly for the rows
// CompileOrderBy(keys) places after c.
func CompileAfter(b *Builder, keys []SortKey, c Cursor, body, id string) {
	a := afterWriter{b: b, keys: keys, c: c, body: body, id: id}
	a.from(0)
}

type afterWriter struct {
	b        *Builder
	keys     []SortKey
	c        Cursor
	body, id string
}

// from writes "after on key i, or tied on key i and after on the rest".
func (a afterWriter) from(i int) {
	if i == len(a.keys) {
		a.b.S("(", idTerm(a.b.D, a.id), " > ").Param(a.c.ID).S(")")
		return
	}
	a.b.S("(")
	a.key(i, true)
	a.b.S(" OR (")
	a.key(i, false)
	a.b.S(" AND ")
	a.from(i + 1)
	a.b.S("))")
}

// key writes "beyond the cursor on key i" or, when !beyond, "equal on it".
func (a afterWriter) key(i int, beyond bool) {
	k := a.keys[i]
	v := value{kind: kNull, json: "null"}
	if i < len(a.c.Values) {
		v = cursorValue(a.c.Values[i])
	}
	op := "="
	if beyond {
		op = sortOp(k.Desc)
	}
	if k.isID() {
		s, _ := v.v.(string)
		a.b.S("(", idTerm(a.b.D, a.id), " ", op, " ").Param(s).S(")")
		return
	}
	a.sortKey(newSortCol(a.b.D, a.body, k.Path), v, op)
}

func sortOp(desc bool) string {
	if desc {
		return "<"
	}
	return ">"
}

func (a afterWriter) sortKey(col sortCol, v value, op string) {
	rank := strconv.Itoa(int(v.kind))
	scalar := v.kind == kNumber || v.kind == kString || v.kind == kBool
	a.b.S("(", col.rank, " ", op, " ", rank)
	if op != "=" && scalar {
		a.b.S(" OR (", col.rank, " = ", rank, " AND ")
		a.scalar(col, v, op)
		a.b.S(")")
	} else if scalar {
		a.b.S(" AND ")
		a.scalar(col, v, op)
	}
	a.b.S(")")
}

// scalar compares the value at col with v, knowing both have v's kind.
func (a afterWriter) scalar(col sortCol, v value, op string) {
	if a.b.D == Postgres {
		e := col.r.(pgRef).safe()
		if v.kind == kString {
			a.b.S("(", e, " #>> '{}') COLLATE \"C\" ", op, " ").Param(v.v.(string))
			return
		}
		a.b.S(e, " ", op, " ")
		pgBind(a.b, v)
		return
	}
	a.b.S(col.r.(sqliteRef).extract(), " ", op, " ")
	sqliteBind(a.b, v)
}
