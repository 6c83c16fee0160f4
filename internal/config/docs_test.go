package config

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"testing"
)

const docsFile = "../../docs/configuration.md"

// docRow is one row of a key table in docs/configuration.md.
type docRow struct {
	def, env, meaning string
}

// TestDocsCoverEveryKey keeps docs/configuration.md honest: every key has a
// row with its real default and variable, and no row names a missing key.
func TestDocsCoverEveryKey(t *testing.T) {
	rows := readDocRows(t)
	def := Default()
	for _, f := range fields(&def) {
		row, ok := rows[f.key]
		if !ok {
			t.Errorf("%s: missing from %s", f.key, docsFile)
			continue
		}
		delete(rows, f.key)
		if row.env != f.env {
			t.Errorf("%s: documented variable %q, want %q", f.key, row.env, f.env)
		}
		if want := docDefault(t, f.value); row.def != want {
			t.Errorf("%s: documented default %q, want %q", f.key, row.def, want)
		}
		if row.meaning == "" {
			t.Errorf("%s: no meaning documented", f.key)
		}
	}
	for key := range rows {
		t.Errorf("%s: documented but not a config key", key)
	}
}

func TestDocsShowTheDefaultFile(t *testing.T) {
	doc, err := os.ReadFile(docsFile)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := Default().YAML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```yaml\n"+string(rendered)+"```") {
		t.Errorf("%s does not end with the current default file:\n%s", docsFile, rendered)
	}
}

// readDocRows returns the rows whose first cell is a `key`.
func readDocRows(t *testing.T) map[string]docRow {
	t.Helper()
	f, err := os.Open(docsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]docRow{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(strings.Trim(strings.TrimSpace(sc.Text()), "|"), "|")
		if len(cells) != 4 || !strings.HasPrefix(strings.TrimSpace(cells[0]), "`") {
			continue
		}
		key := unquoteCell(cells[0])
		if _, dup := rows[key]; dup {
			t.Errorf("%s: documented twice", key)
		}
		rows[key] = docRow{def: unquoteCell(cells[1]), env: unquoteCell(cells[2]), meaning: strings.TrimSpace(cells[3])}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func unquoteCell(s string) string {
	return strings.Trim(strings.TrimSpace(s), "`")
}

// docDefault is how the docs spell a default: like its variable's value,
// with "" and [] for the empty string and the empty list.
func docDefault(t *testing.T, v reflect.Value) string {
	switch {
	case v.Kind() == reflect.String && v.String() == "":
		return `""`
	case v.Kind() == reflect.Slice && v.Len() == 0:
		return "[]"
	}
	return textOf(t, v)
}
