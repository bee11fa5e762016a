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
	db, err := openMigrated(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := demo.Load(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "sample data: %d event(s) created, %d already present\n", res.Created, res.Skipped)
	return nil
}
