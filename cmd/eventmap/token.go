package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"eventmap/auth"
	"eventmap/config"
)

const tokenUsage = `usage:
  eventmap token create --role reader|editor|admin --label LABEL [--expires 90d|never]
  eventmap token list
  eventmap token revoke ID

The token is printed once by create and only its SHA-256 is stored: keep it.
Roles: reader sees restricted events; editor also creates and changes events;
admin also deletes them.`

// token manages API tokens. It migrates first, so it works on a fresh
// database before the server has ever run.
func token(ctx context.Context, e env, args []string) error {
	cfg, rest, err := config.Load("token", args, e.lookupEnv, e.stderr)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		fmt.Fprintln(e.stderr, tokenUsage)
		return errors.New("token: expected create, list or revoke")
	}
	db, err := openMigrated(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer db.Close()

	switch rest[0] {
	case "create":
		fs := flag.NewFlagSet("eventmap token create", flag.ContinueOnError)
		fs.SetOutput(e.stderr)
		roleName := fs.String("role", "", "reader, editor or admin")
		label := fs.String("label", "", "who or what holds the token (shown in revision history)")
		expires := fs.String("expires", "90d", "lifetime: a number of days (90d), a Go duration (12h) or never")
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		role, err := auth.ParseRole(*roleName)
		if err != nil {
			return fmt.Errorf("token create: --role: %w", err)
		}
		*label = strings.TrimSpace(*label)
		if *label == "" || len(*label) > 200 {
			return errors.New("token create: --label is required (1 to 200 characters)")
		}
		until, err := expiry(*expires, time.Now())
		if err != nil {
			return fmt.Errorf("token create: --expires: %w", err)
		}
		t, err := auth.NewToken()
		if err != nil {
			return err
		}
		info, err := db.CreateToken(ctx, t, role, *label, until)
		if err != nil {
			return err
		}
		exp := "never"
		if info.ExpiresAt != nil {
			exp = info.ExpiresAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(e.stderr, "created token %s (role %s, label %q, expires %s); it is shown only now:\n", info.ID, info.Role, info.Label, exp)
		fmt.Fprintln(e.stdout, t.Plain)
	case "list":
		tokens, err := db.ListTokens(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tLABEL\tCREATED\tEXPIRES\tSTATE")
		now := time.Now()
		for _, t := range tokens {
			exp, state := "never", "active"
			if t.ExpiresAt != nil {
				exp = t.ExpiresAt.Format(time.RFC3339)
				if t.ExpiresAt.Before(now) {
					state = "expired"
				}
			}
			if t.RevokedAt != nil {
				state = "revoked " + t.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, t.Label, t.CreatedAt.UTC().Format(time.RFC3339), exp, state)
		}
		return tw.Flush()
	case "revoke":
		if len(rest) != 2 {
			return errors.New("token revoke: expected one token id (see eventmap token list)")
		}
		if err := db.RevokeToken(ctx, rest[1]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "revoked token %s\n", rest[1])
	default:
		fmt.Fprintln(e.stderr, tokenUsage)
		return fmt.Errorf("token: unknown action %q", rest[0])
	}
	return nil
}

// expiry turns --expires into a time: "never", whole days ("90d") or a Go
// duration ("12h").
func expiry(v string, now time.Time) (*time.Time, error) {
	if v == "never" {
		return nil, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number of days", v)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("%q is not 90d, 12h or never", v)
		}
	}
	if d <= 0 {
		return nil, fmt.Errorf("%q must be in the future", v)
	}
	t := now.Add(d).UTC()
	return &t, nil
}
