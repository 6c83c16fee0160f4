package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"rampart.dev/rampart/client"
)

// maxInput bounds the JSON read from an argument or standard input.
const maxInput = 64 << 20

func newDocCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{Use: "doc", Short: "Read and write documents as the signed-in user (output: JSON lines)"}
	f.register(cmd)
	cmd.AddCommand(newDocInsert(&f), newDocGet(&f), newDocQuery(&f), newDocDelete(&f), newDocCount(&f))
	return cmd
}

func newDocInsert(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "insert COLLECTION [JSON]",
		Short: "Insert documents: an object each, or an array inserted all or nothing; from the argument or standard input",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var src io.Reader = cmd.InOrStdin()
			if len(args) == 2 {
				src = strings.NewReader(args[1])
			}
			c, err := f.connect(cmd, false)
			if err != nil {
				return err
			}
			defer c.Close()
			return eachJSON(src, func(raw json.RawMessage) error {
				docs, err := insertJSON(cmd, c, args[0], raw)
				for _, d := range docs {
					if err := printJSON(cmd.OutOrStdout(), d); err != nil {
						return err
					}
				}
				return err
			})
		},
	}
}

// eachJSON calls fn with every JSON value in r (JSON lines, or values one
// after another).
func eachJSON(r io.Reader, fn func(json.RawMessage) error) error {
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(r, maxInput)))
	n := 0
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return errors.New("no JSON document given")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("document %d is not valid JSON: %w", n+1, err)
		}
		n++
		if err := fn(raw); err != nil {
			return err
		}
	}
}

func insertJSON(cmd *cobra.Command, c *client.Client, coll string, raw json.RawMessage) ([]client.Document, error) {
	if raw[0] != '[' {
		d, err := c.Insert(cmd.Context(), coll, raw)
		if err != nil {
			return nil, err
		}
		return []client.Document{d}, nil
	}
	var many []json.RawMessage
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, err
	}
	docs := make([]any, len(many))
	for i, m := range many {
		docs[i] = m
	}
	return c.InsertMany(cmd.Context(), coll, docs...)
}

func newDocGet(f *clientFlags) *cobra.Command {
	var version int64
	cmd := &cobra.Command{
		Use:   "get COLLECTION ID",
		Short: "Print a document (or, with --version, one of its versions)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.connect(cmd, false)
			if err != nil {
				return err
			}
			defer c.Close()
			var d client.Document
			if version > 0 {
				d, err = c.GetVersion(cmd.Context(), args[0], args[1], version)
			} else {
				d, err = c.Get(cmd.Context(), args[0], args[1])
			}
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), d)
		},
	}
	cmd.Flags().Int64Var(&version, "version", 0, "print this version instead of the current one")
	return cmd
}

func newDocQuery(f *clientFlags) *cobra.Command {
	var filter, sort, projection string
	var limit int
	cmd := &cobra.Command{
		Use:   "query COLLECTION",
		Short: "Print the matching documents, one per line, across every page",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var q client.Query
			var err error
			if q.Filter, err = jsonFlag("filter", filter); err != nil {
				return err
			}
			if q.Sort, err = jsonFlag("sort", sort); err != nil {
				return err
			}
			if q.Projection, err = jsonFlag("projection", projection); err != nil {
				return err
			}
			if limit < 0 {
				return errors.New("--limit must not be negative")
			}
			q.Limit = limit
			c, err := f.connect(cmd, false)
			if err != nil {
				return err
			}
			defer c.Close()
			for d, err := range c.Query(cmd.Context(), args[0], q) {
				if err != nil {
					return err
				}
				if err := printJSON(cmd.OutOrStdout(), d); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&filter, "filter", "", `filter, e.g. '{"status":{"$in":["open","new"]}}'`)
	cmd.Flags().StringVar(&sort, "sort", "", `sort, e.g. '{"_created":-1}'`)
	cmd.Flags().StringVar(&projection, "projection", "", `fields to return, e.g. '{"title":1}'`)
	cmd.Flags().IntVar(&limit, "limit", 0, "print at most this many documents (0: all)")
	return cmd
}

func newDocDelete(f *clientFlags) *cobra.Command {
	var ifMatch int64
	cmd := &cobra.Command{
		Use:   "delete COLLECTION ID",
		Short: "Delete a document",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.connect(cmd, false)
			if err != nil {
				return err
			}
			defer c.Close()
			var opts []client.WriteOption
			if cmd.Flags().Changed("if-match") {
				opts = append(opts, client.IfMatch(ifMatch))
			}
			if err := c.Delete(cmd.Context(), args[0], args[1], opts...); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "deleted %s/%s\n", args[0], args[1])
			return nil
		},
	}
	cmd.Flags().Int64Var(&ifMatch, "if-match", 0, "delete only if the document is still at this version")
	return cmd
}

func newDocCount(f *clientFlags) *cobra.Command {
	var filter string
	cmd := &cobra.Command{
		Use:   "count COLLECTION",
		Short: "Print how many documents match",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl, err := jsonFlag("filter", filter)
			if err != nil {
				return err
			}
			c, err := f.connect(cmd, false)
			if err != nil {
				return err
			}
			defer c.Close()
			n, err := c.Count(cmd.Context(), args[0], fl)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), n)
			return nil
		},
	}
	cmd.Flags().StringVar(&filter, "filter", "", "filter, as for query")
	return cmd
}
