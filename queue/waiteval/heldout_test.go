package waiteval_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"lobbyline/queue/waiteval"
)

// ratios is one replay's summary against the best rolling average: mean
// squared error and MAE as multiples of its, and the estimator's coverage.
func ratios(res []waiteval.Result) string {
	est, rolling := res[0], res[2]
	return fmt.Sprintf("mse=%.3f× mae=%.3f× cover80=%.3f (est rmse %.1f mae %.1f; %s rmse %.1f mae %.1f)",
		est.RMSEMin*est.RMSEMin/(rolling.RMSEMin*rolling.RMSEMin), est.MAEMin/rolling.MAEMin, est.Cover80,
		est.RMSEMin, est.MAEMin, rolling.Method, rolling.RMSEMin, rolling.MAEMin)
}

// yearOf keeps the header and the rows of log whose arrival is in year.
func yearOf(log []byte, year string) []byte {
	lines := strings.SplitAfter(string(log), "\n")
	var b strings.Builder
	b.WriteString(lines[0])
	for _, l := range lines[1:] {
		if f := strings.SplitN(l, ",", 4); len(f) == 4 && strings.HasPrefix(f[2], year) {
			b.WriteString(l)
		}
	}
	return []byte(b.String())
}

// TestEvaluateWaitsHeldOut prints the held-out figures of BENCHMARKS.md:
// each year of the ED log replayed alone through a fresh estimator, and
// the simulated lobbies of seeds 1–3, as ratios to the best rolling
// average. It checks only that each replay's interval stays calibrated.
// WAITEVAL_SEEDS=n replays simulated seeds 1 to n instead (seeds past 3
// were held out when choosing the estimator's features).
func TestEvaluateWaitsHeldOut(t *testing.T) {
	if testing.Short() {
		t.Skip("four replays")
	}
	logs := map[string][]byte{}
	var names []string
	if data, err := os.ReadFile(edLog); err == nil {
		names = append(names, "ed", "ed2009", "ed2010")
		logs["ed"], logs["ed2009"], logs["ed2010"] = data, yearOf(data, "2009"), yearOf(data, "2010")
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	seeds := uint64(3)
	if n, err := strconv.ParseUint(os.Getenv("WAITEVAL_SEEDS"), 10, 8); err == nil && n > 0 {
		seeds = n
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		name := fmt.Sprint("sim", seed)
		names = append(names, name)
		logs[name] = simulated(t, seed)
	}
	for _, name := range names {
		res, err := waiteval.Evaluate(bytes.NewReader(logs[name]))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-7s %s", name, ratios(res))
		if c := res[0].Cover80; c < 0.75 || c > 0.85 {
			t.Errorf("%s: 80%% interval covers %.3f, want 0.75–0.85", name, c)
		}
	}
}
