package queue_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
)

// crashDBEnv tells the test binary, re-run as a child, to be the crashing
// check-in process instead of running tests.
const crashDBEnv = "LOBBYLINE_CRASH_CHILD_DB"

// TestCheckInSurvivesKill9 runs check-ins in a child process, kills it with
// SIGKILL at random points many times, and checks that every ticket the
// child reported as shown is in the database after restart, that no ticket
// number was issued twice, and that the file passes integrity_check.
func TestCheckInSurvivesKill9(t *testing.T) {
	rounds := 30
	if testing.Short() {
		rounds = 8
	}
	path := filepath.Join(t.TempDir(), "kiosk.db")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 42))
	shown := map[int64]string{} // visit ID -> ticket, as the child reported it
	for round := range rounds {
		// Kill after a random number of shown tickets; 0 kills during
		// start-up, while the store opens and migrates.
		killAfter := rng.IntN(25)
		got := runAndKill(t, path, killAfter)
		for id, tk := range got {
			if prev, ok := shown[id]; ok && prev != tk {
				t.Fatalf("round %d: visit %d shown as %s and %s", round, id, prev, tk)
			}
			shown[id] = tk
		}
	}
	if len(shown) == 0 {
		t.Fatal("the child never showed a ticket")
	}

	s, err := queue.Open(context.Background(), path, testOptions(newClock()))
	if err != nil {
		t.Fatalf("reopen after kills: %v", err)
	}
	defer s.Close()
	if res, err := s.IntegrityCheck(context.Background()); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q, %v", res, err)
	}
	tickets := map[string]int64{}
	for id, tk := range shown {
		v, err := s.Visit(context.Background(), id)
		if err != nil {
			t.Fatalf("ticket %s (visit %d) was shown but is not on disk: %v", tk, id, err)
		}
		key := v.Day + " " + v.Ticket
		if v.Ticket != tk {
			t.Fatalf("visit %d shown as %s, stored as %s", id, tk, v.Ticket)
		}
		if other, dup := tickets[key]; dup {
			t.Fatalf("ticket %s issued to visits %d and %d", key, other, id)
		}
		tickets[key] = id
	}
	t.Logf("%d rounds, %d tickets shown, all on disk", rounds, len(shown))
}

// runAndKill starts the child and SIGKILLs it once it has shown killAfter
// tickets. It returns the tickets the child reported before dying.
func runAndKill(t *testing.T, path string, killAfter int) map[int64]string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	sc := bufio.NewScanner(out)
	killed := false
	if killAfter == 0 {
		_ = cmd.Process.Kill()
		killed = true
	}
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != "SHOWN" {
			continue
		}
		id, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			t.Fatalf("child wrote %q", sc.Text())
		}
		got[id] = f[1]
		if !killed && len(got) >= killAfter {
			_ = cmd.Process.Kill()
			killed = true
		}
	}
	if !killed {
		_ = cmd.Process.Kill()
	}
	_ = cmd.Wait()
	return got
}

// TestCrashChild is the child of TestCheckInSurvivesKill9: it checks people
// in until it is killed, printing each ticket once CheckIn has returned,
// which is when the kiosk would show it.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashDBEnv)
	if path == "" {
		t.Skip("child process of TestCheckInSurvivesKill9")
	}
	opts := testOptions(newClock())
	opts.Now = time.Now
	s, err := queue.Open(context.Background(), path, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(1)
	}
	services := []string{"registration", "pharmacy", "visit"}
	for i := 0; ; i++ {
		tk, err := s.CheckIn(context.Background(), queue.CheckInForm{Name: "Zoë " + strconv.Itoa(i), Service: services[i%3]}, queue.SourceKiosk)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child check in:", err)
			os.Exit(1)
		}
		fmt.Printf("SHOWN %s %d\n", tk.Visit.Ticket, tk.Visit.ID)
	}
}
