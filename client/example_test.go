package client_test

import (
	"context"
	"errors"
	"fmt"

	"rampart.dev/rampart/client"
)

// The README's example; it is compiled with the tests, so it stays right.
func Example() {
	ctx := context.Background()
	if err := example(ctx, "a long admin password"); err != nil {
		fmt.Println(err)
	}
}

func example(ctx context.Context, password string) error {
	c, err := client.Dial(ctx, "https://127.0.0.1:8443",
		client.WithCAFile("rampart-data/tls/ca.crt"), client.WithAdminURL("https://127.0.0.1:8444"))
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.LoginPassword(ctx, "root", password); err != nil {
		return err // client.ErrMFARequired: finish with c.CompleteMFA(ctx, code)
	}
	note, err := c.Insert(ctx, "notes", map[string]any{"title": "hello"})
	if err != nil {
		return err
	}
	note, err = c.Patch(ctx, "notes", note.ID, `{"title":"hello again"}`, client.IfMatch(note.Version))
	if err != nil {
		return err
	}
	for doc, err := range c.Query(ctx, "notes", client.Query{Filter: `{"title":{"$regex":"^hel"}}`}) {
		if err != nil {
			return err
		}
		fmt.Println(doc.ID, string(doc.Raw))
	}
	if _, err := c.Get(ctx, "notes", "missing"); errors.Is(err, client.ErrNotFound) {
		fmt.Println("no such note")
	}
	return nil
}
