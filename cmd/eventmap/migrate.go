package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"eventmap/config"
)

func migrate(ctx context.Context, e env, args []string) error {
	cfg, rest, err := config.Load("migrate", args, e.lookupEnv, e.stderr)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("migrate: expected one of up, down, status")
	}
	db, err := openMigrationDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.NewMigrator(newLogger(cfg, e.stderr))
	if err != nil {
		return err
	}
	switch rest[0] {
	case "up":
		n, err := m.Up(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "applied %d migration(s)\n", n)
	case "down":
		return m.Down(ctx)
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tSTATE\tFILE")
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", s.Version, state, s.Name)
		}
		return tw.Flush()
	default:
		return fmt.Errorf("migrate: unknown action %q (up, down, status)", rest[0])
	}
	return nil
}
