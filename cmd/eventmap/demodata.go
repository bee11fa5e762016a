package main

import (
	"context"
	"fmt"

	"eventmap/config"
	"eventmap/demo"
)

func demoData(ctx context.Context, e env, args []string) error {
	cfg, _, err := config.Load("demo-data", args, e.lookupEnv, e.stderr)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.NewMigrator(newLogger(cfg, e.stderr))
	if err != nil {
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		return err
	}
	res, err := demo.Load(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "sample data: %d event(s) created, %d already present\n", res.Created, res.Skipped)
	return nil
}
