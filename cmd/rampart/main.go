// Command rampart is the Rampart server and its host-side tools.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "rampart:", err)
		os.Exit(1)
	}
}
