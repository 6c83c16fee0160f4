package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"rampart.dev/rampart/internal/config"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect configuration"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Check a configuration file (with RAMPART_* variables applied) and report every problem",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(args[0], os.Environ())
			if err == nil {
				err = cfg.Validate()
			}
			if err != nil {
				return fmt.Errorf("%s is not valid:\n%s", args[0], indent(err.Error()))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is valid\n", args[0])
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "defaults",
		Short: "Print the default configuration as YAML",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := config.Default().YAML()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	})
	return cmd
}
