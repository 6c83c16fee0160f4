package query

import (
	"database/sql/driver"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"

	"modernc.org/sqlite"
)

// SQLiteRegexpFunc is the SQL function compiled SQLite filters call for
// $regex: rampart_regexp(pattern, flags, value) is 1 when value is a string
// matching the RE2 pattern under flags (a subset of "ims"), else 0.
const SQLiteRegexpFunc = "rampart_regexp"

// maxRepeat is the largest {n,m} bound: PostgreSQL's regex engine refuses
// more, so both engines refuse it.
const maxRepeat = 255

// regex is a validated $regex: the RE2 pattern Go and SQLite run, and its
// translation for PostgreSQL's ~ operator.
type regex struct {
	pattern string
	flags   string
	re      *regexp.Regexp
	pg      string
}

func parseRegex(pattern, flags string, lim Limits) (*regex, error) {
	if len(pattern) > lim.MaxRegex {
		return nil, invalid("$regex is longer than %d bytes", lim.MaxRegex)
	}
	if strings.IndexByte(pattern, 0) >= 0 {
		return nil, invalid("$regex may not contain NUL characters")
	}
	for _, f := range flags {
		if f != 'i' && f != 'm' && f != 's' {
			return nil, invalid("$options may only hold the flags i, m and s")
		}
	}
	full := withFlags(pattern, flags)
	tree, err := syntax.Parse(full, syntax.Perl)
	if err != nil {
		return nil, invalid("$regex is not a valid RE2 pattern: %v", err)
	}
	if err := checkRepeats(tree); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(full)
	if err != nil {
		return nil, invalid("$regex is not a valid RE2 pattern: %v", err)
	}
	return &regex{pattern: pattern, flags: flags, re: re, pg: toPostgresRegex(tree)}, nil
}

func withFlags(pattern, flags string) string {
	if flags == "" {
		return pattern
	}
	return "(?" + flags + ")" + pattern
}

func checkRepeats(re *syntax.Regexp) error {
	if re.Op == syntax.OpRepeat && (re.Min > maxRepeat || re.Max > maxRepeat) {
		return invalid("$regex repetition counts are limited to %d", maxRepeat)
	}
	for _, s := range re.Sub {
		if err := checkRepeats(s); err != nil {
			return err
		}
	}
	return nil
}

// regexCache keeps compiled patterns for the SQLite function, which sees
// the same pattern once per row.
type regexCache struct {
	mu sync.Mutex
	m  map[string]*regexp.Regexp
}

const regexCacheSize = 256

var sqliteRegexps = regexCache{m: map[string]*regexp.Regexp{}}

func (c *regexCache) get(pattern string) (*regexp.Regexp, error) {
	c.mu.Lock()
	re, ok := c.m[pattern]
	c.mu.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= regexCacheSize {
		clear(c.m) // crude, but bounded and rarely hit
	}
	c.m[pattern] = re
	c.mu.Unlock()
	return re, nil
}

var (
	registerOnce sync.Once
	registerErr  error
)

// RegisterSQLiteFunctions registers the SQL functions compiled SQLite
// queries need (rampart_regexp) with modernc.org/sqlite, for every
// connection opened afterwards. Call it once before opening the database;
// later calls do nothing and return the first call's result.
func RegisterSQLiteFunctions() error {
	registerOnce.Do(func() {
		registerErr = sqlite.RegisterDeterministicScalarFunction(SQLiteRegexpFunc, 3, sqliteRegexp)
	})
	return registerErr
}

func sqliteRegexp(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	pattern, ok1 := args[0].(string)
	flags, ok2 := args[1].(string)
	s, ok3 := args[2].(string)
	if !ok1 || !ok2 || !ok3 {
		return int64(0), nil // a non-string value never matches
	}
	re, err := sqliteRegexps.get(withFlags(pattern, flags))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", SQLiteRegexpFunc, err)
	}
	if re.MatchString(s) {
		return int64(1), nil
	}
	return int64(0), nil
}
