package query

import (
	"context"
	"database/sql"
	"regexp/syntax"
	"strings"
	"testing"

	"pgregory.net/rapid"
	"rampart.dev/rampart/internal/errs"
)

var regexSubjects = []string{
	"", "a", "A", "abc", "ABC", "aBc", "cat", "the cat sat", "concat", "cat_", "é", "É", "émigré",
	"kelvin", "KELVIN", "\u212aelvin", "ſ", "S", "s", "x\ny", "x\n", "\n", "line1\nline2", "a.b", "a-b",
	"tab\there", "123", "١٢٣", "naïve", "ß", "ẞ", "日本語", "😀", "a\u00a0b", "[x]", "a|b", "\\", "$", "^",
}

var regexPatterns = []struct{ pattern, flags string }{
	{"a", ""}, {"a", "i"}, {"^a", ""}, {"c$", ""}, {"^$", ""}, {"\\bcat\\b", ""}, {"\\Bat", ""},
	{"\\d", ""}, {"\\D", ""}, {"\\w+", ""}, {"^\\W*$", ""}, {"\\s", ""}, {"\\S", ""}, {".", ""},
	{"x.y", ""}, {"x.y", "s"}, {"^y", "m"}, {"x$", "m"}, {"^line2$", "m"}, {"^line2$", ""},
	{"[^a-z]", ""}, {"[^a-z]", "i"}, {"[a-c]{2,}", ""}, {"(ab|bc)c?", ""}, {"kelvin", "i"},
	{"ß", "i"}, {"s", "i"}, {"é", "i"}, {"\\p{L}+", ""}, {"\\p{Greek}", ""}, {"\\pN", ""},
	{"[[:alpha:]]", ""}, {"[[:^digit:]]", ""}, {"\\x{212a}", ""}, {"\\Q.|\\E", ""}, {"a|", ""},
	{"(?:)", ""}, {"a*?b", ""}, {"(?U)a+b", ""}, {"\\A\\z", ""}, {"(?i)a(?-i)b", ""}, {"(?s:.)", ""},
	{"[\\[\\]]", ""}, {"\\|", ""}, {"\\\\", ""}, {"\\$", ""}, {"\\^", ""}, {"[😀-😂]", ""},
	{"\\t", ""}, {"\\n", ""}, {"[^\\n]+", ""}, {"[\\x00-\\x{10FFFF}]", ""}, {"[^\\x00-\\x{10FFFF}]", ""},
	{"(a)(b)?", ""}, {"a{0}", ""}, {"a{2}", ""}, {"^.{3}$", ""}, {"^.{3}$", "s"}, {"\\ba", "i"},
}

// TestRegexPostgres checks that PostgreSQL's rewritten patterns match
// exactly the strings Go's RE2 matches.
func TestRegexPostgres(t *testing.T) {
	db := openPostgres(t)
	for _, c := range regexPatterns {
		checkRegexPG(t, db, c.pattern, c.flags)
	}
}

func TestRegexPostgresProperty(t *testing.T) {
	db := openPostgres(t)
	tokens := []string{"a", "b", "K", "é", ".", "\\d", "\\w", "\\s", "\\b", "\\B", "^", "$", "(", ")", "|", "*", "+", "?",
		"{1,2}", "[ab]", "[^a]", "(?i)", "(?m)", "(?s)", "\\n", "[[:upper:]]", "\\pL", "x", "\\.", "(?:", "ß"}
	rapid.Check(t, func(rt *rapid.T) {
		parts := rapid.SliceOfN(rapid.SampledFrom(tokens), 1, 8).Draw(rt, "tokens")
		pattern := strings.Join(parts, "")
		if _, err := syntax.Parse(pattern, syntax.Perl); err != nil {
			return
		}
		checkRegexPG(t, db, pattern, "")
	})
}

func checkRegexPG(t *testing.T, db *sql.DB, pattern, flags string) {
	t.Helper()
	rx, err := parseRegex(pattern, flags, DefaultLimits())
	if err != nil {
		t.Fatalf("%q (%s): %v", pattern, flags, err)
	}
	var want []string
	for _, s := range regexSubjects {
		if rx.re.MatchString(s) {
			want = append(want, s)
		}
	}
	rows, err := db.QueryContext(context.Background(),
		`SELECT s FROM unnest($1::text[]) WITH ORDINALITY AS u(s, i) WHERE s ~ $2 ORDER BY i`, regexSubjects, rx.pg)
	if err != nil {
		t.Fatalf("%q (%s) as %q: %v", pattern, flags, rx.pg, err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if !equalStrings(got, want) {
		t.Errorf("%q (%s) as %q\n  postgres: %q\n  go:       %q", pattern, flags, rx.pg, got, want)
	}
}

// TestRegexSQLiteFunction checks the registered function, flags included,
// and that it answers 0, not NULL or an error, for non-strings.
func TestRegexSQLiteFunction(t *testing.T) {
	db := openSQLite(t)
	cases := []struct {
		pattern, flags string
		value          any
		want           int64
	}{
		{"^a", "", "abc", 1},
		{"^A", "", "abc", 0},
		{"^A", "i", "abc", 1},
		{"^b", "m", "a\nb", 1},
		{"a.b", "s", "a\nb", 1},
		{"a.b", "", "a\nb", 0},
		{"1", "", int64(1), 0},
		{"x", "", nil, 0},
	}
	for _, c := range cases {
		var got int64
		err := db.QueryRow(`SELECT `+SQLiteRegexpFunc+`(?, ?, ?)`, c.pattern, c.flags, c.value).Scan(&got)
		if err != nil || got != c.want {
			t.Errorf("%q %q %v: got %d, %v; want %d", c.pattern, c.flags, c.value, got, err, c.want)
		}
	}
	var n int64
	if err := db.QueryRow(`SELECT ` + SQLiteRegexpFunc + `('(', '', 'x')`).Scan(&n); err == nil {
		t.Error("an invalid pattern gave no error")
	}
}

func TestParseRegexRejects(t *testing.T) {
	cases := []struct{ pattern, flags string }{
		{"(", ""}, {"a{256}", ""}, {"a{1,256}", ""}, {"x", "g"}, {"x", "u"}, {"\\1", ""},
		{"(?P<n>a)\\k<n>", ""}, {"a\x00", ""}, {strings.Repeat("a", 257), ""},
	}
	for _, c := range cases {
		if _, err := parseRegex(c.pattern, c.flags, DefaultLimits()); errs.CodeOf(err) != errs.InvalidArgument {
			t.Errorf("%q %q: got %v, want invalid_argument", c.pattern, c.flags, err)
		}
	}
}
