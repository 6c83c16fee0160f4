package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load decodes the YAML file at path on top of Default and then applies the
// RAMPART_* variables found in environ (which has the form of os.Environ).
// An empty path means defaults plus environment; an empty file means
// defaults. Every problem found in the file and the environment is reported
// together. Load does not validate: call Validate on the result.
func Load(path string, environ []string) (Config, error) {
	cfg := Default()
	var fileErr error
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("read config: %w", err)
		}
		fileErr = decode(data, path, &cfg)
	}
	if err := errors.Join(fileErr, applyEnv(&cfg, environ)); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// decode reads one YAML document from data into cfg. It first walks the node
// tree so unknown and repeated keys are reported with their full path, then
// decodes with the strict decoder, whose type errors are labelled with the
// key's path. Problems of both passes are reported together.
func decode(data []byte, file string, cfg *Config) error {
	root, err := parseDocument(data, file)
	if err != nil || root == nil {
		return err
	}
	chk := nodeCheck{file: file, lines: map[int]string{}, reported: map[int]bool{}}
	chk.mapping(root, reflect.TypeFor[Config](), "")
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		chk.explain(err)
	}
	return errors.Join(chk.problems...)
}

// parseDocument returns the top-level mapping of data, or nil when the file
// holds no document or only null.
func parseDocument(data []byte, file string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: want exactly one YAML document", file)
	}
	top := doc.Content[0]
	switch {
	case top.Kind == yaml.MappingNode:
		return top, nil
	case top.Kind == yaml.ScalarNode && top.ShortTag() == "!!null":
		return nil, nil
	default:
		return nil, fmt.Errorf("%s:%d: the top level must be a mapping of keys", file, top.Line)
	}
}

// nodeCheck walks a YAML node tree alongside the Config type.
type nodeCheck struct {
	file     string
	lines    map[int]string // line of a leaf value -> its key path
	reported map[int]bool   // lines the walk already has a problem for
	problems []error
}

func (c *nodeCheck) mapping(n *yaml.Node, t reflect.Type, path string) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := joinKey(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			c.add(k.Line, key, fmt.Sprintf("repeated key (first at line %d)", first))
			continue
		}
		seen[k.Value] = k.Line
		f, ok := structKey(t, k.Value)
		if !ok {
			c.add(k.Line, key, "unknown key"+suggest(k.Value, structKeys(t)))
			continue
		}
		c.value(v, f.Type, key)
	}
}

func (c *nodeCheck) value(n *yaml.Node, t reflect.Type, key string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if t.Kind() != reflect.Struct {
		c.leaf(n, key)
		return
	}
	switch {
	case n.Kind == yaml.MappingNode:
		c.mapping(n, t, key)
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		c.add(n.Line, key, "empty section: give it keys or leave it out")
	default:
		c.add(n.Line, key, "want a mapping of keys")
	}
}

// leaf remembers which key sits on the lines of a value. When a flow
// mapping puts several keys on one line, the line gets their common parent.
func (c *nodeCheck) leaf(n *yaml.Node, key string) {
	c.remember(n.Line, key)
	for _, item := range n.Content {
		c.remember(item.Line, key)
	}
}

func (c *nodeCheck) remember(line int, key string) {
	if old, ok := c.lines[line]; ok && old != key {
		key = commonParent(old, key)
	}
	c.lines[line] = key
}

func (c *nodeCheck) add(line int, key, msg string) {
	c.reported[line] = true
	c.problems = append(c.problems, fmt.Errorf("%s:%d: %s: %s", c.file, line, key, msg))
}

// explain adds the decoder's "line N: ..." type errors as
// "file:N: key: ...", so each names its key, skipping lines the walk has
// already explained (unknown and repeated keys).
func (c *nodeCheck) explain(err error) {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		c.problems = append(c.problems, fmt.Errorf("%s: %w", c.file, err))
		return
	}
	for _, msg := range te.Errors {
		var line int
		if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr != nil {
			c.problems = append(c.problems, fmt.Errorf("%s: %s", c.file, msg))
			continue
		}
		if c.reported[line] {
			continue
		}
		_, rest, _ := strings.Cut(msg, ": ")
		if key := c.lines[line]; key != "" {
			rest = key + ": " + rest
		}
		c.problems = append(c.problems, fmt.Errorf("%s:%d: %s", c.file, line, rest))
	}
}

func joinKey(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func commonParent(a, b string) string {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	n := 0
	for n < len(as) && n < len(bs) && as[n] == bs[n] {
		n++
	}
	return strings.Join(as[:n], ".")
}
