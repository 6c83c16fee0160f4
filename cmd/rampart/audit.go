package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/config"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Check the hash-chained audit log"}
	cmd.AddCommand(newAuditVerify())
	return cmd
}

func newAuditVerify() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute every hash of the audit log and name the first broken entry",
		Long: "Walks the whole audit log and checks every sequence number, link and hash.\n" +
			"Exits 0 when the chain is intact and non-zero naming the first broken entry.\n" +
			"Keep the printed head hash elsewhere: comparing it later detects a log cut short.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			if err := databaseExists(cfg); err != nil {
				return err
			}
			st, err := app.OpenStore(cmd.Context(), cfg, nil)
			if err != nil {
				return err
			}
			defer st.Close()
			rep, err := audit.Verify(cmd.Context(), st)
			if err != nil {
				return err
			}
			if !rep.Intact() {
				return fmt.Errorf("audit log broken at %s (%d entries read)", rep.Broken, rep.Entries)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "audit log intact: %d entries\n", rep.Entries)
			if rep.Entries > 0 {
				fmt.Fprintf(out, "head: entry %d, hash %s\n", rep.LastSeq, hex.EncodeToString(rep.Head))
			}
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}

// databaseExists refuses a data directory without a database: opening it
// would create an empty one and call its missing log intact.
func databaseExists(cfg config.Config) error {
	if cfg.Database.Driver == config.DriverPostgres {
		return nil
	}
	path := filepath.Join(cfg.Data, app.DatabaseFile)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database at %s: %w", path, err)
	}
	return nil
}
