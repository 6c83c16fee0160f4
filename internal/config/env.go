package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// nonConfigEnv lists RAMPART_ variables that are read elsewhere and are not
// configuration keys, so they are not reported as typos. Variables starting
// with RAMPART_TEST_ belong to test suites and are ignored as well.
var nonConfigEnv = map[string]bool{
	"RAMPART_CONFIG": true,
	// Defaults of the client commands (rampart login, doc, user, ...).
	"RAMPART_SERVER": true, "RAMPART_ADMIN_SERVER": true, "RAMPART_CA": true,
}

const testEnvPrefix = "RAMPART_TEST_"

// EnvName returns the variable that overrides the dotted key, such as
// RAMPART_LIMITS_QUERY_MAX_IN for limits.query.max_in, and false when key is
// not a configuration key.
func EnvName(key string) (string, bool) {
	var c Config
	for _, f := range fields(&c) {
		if f.key == key {
			return f.env, true
		}
	}
	return "", false
}

// applyEnv sets every field named by a RAMPART_ variable in environ. Later
// entries win, as with a shell's environment.
func applyEnv(c *Config, environ []string) error {
	byName := map[string]field{}
	var names []string
	for _, f := range fields(c) {
		byName[f.env] = f
		names = append(names, f.env)
	}
	var problems []error
	for _, kv := range environ {
		name, val, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) || ignoredEnv(name) {
			continue
		}
		f, ok := byName[name]
		if !ok {
			problems = append(problems, fmt.Errorf("%s: unknown configuration variable%s", name, suggest(name, names)))
			continue
		}
		if err := setText(f.value, val); err != nil {
			problems = append(problems, fmt.Errorf("%s (%s): %w", name, f.key, err))
		}
	}
	return errors.Join(problems...)
}

func ignoredEnv(name string) bool {
	return nonConfigEnv[name] || strings.HasPrefix(name, testEnvPrefix)
}

// setText parses s into v according to v's type: Duration and ByteSize
// through their text form, lists as comma-separated items.
func setText(v reflect.Value, s string) error {
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return u.UnmarshalText([]byte(s))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("invalid boolean %q: want true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || v.OverflowInt(n) {
			return fmt.Errorf("invalid integer %q", s)
		}
		v.SetInt(n)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported list type %s", v.Type())
		}
		v.Set(reflect.ValueOf(splitList(s)))
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

// splitList splits a comma-separated list, dropping blanks, so "" is the
// empty list.
func splitList(s string) []string {
	out := []string{}
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
