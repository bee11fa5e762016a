package e2e

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

// The map shows times by the same rule as the pages: format.js's when()
// against testdata/when_cases.json, the cases eventmap.FormatWhen passes
// (when_test.go). Node runs the map's own module, no browser needed.
func TestMapDatesFollowThePagesRule(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", "format_rules.mjs").CombinedOutput()
	if err != nil {
		t.Fatalf("format_rules.mjs: %v\n%s", err, out)
	}
	t.Logf("format_rules.mjs: %s", out)
}
