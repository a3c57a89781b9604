package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centredb"
)

// The centre can run in a child process of this program
// (--centre-process): each process then has its own open-file limit, so
// ten thousand kiosks' connections (one descriptor each side) fit under
// a limit of 20,000, and the centre's CPU and memory are its own. The
// parent drives it over the child's standard input, a command a line
// ("begin", "down", "up", "stop"), and reads one answer line each from
// its standard output; end of input stops it.

// childCentre is the parent's handle on the child.
type childCentre struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	pool string // the child's pool counters, as printPool prints them, after stop
}

// childReport is the child's answer to "stop".
type childReport struct {
	Arrivals [][3]int64 `json:"arrivals"` // unix ns, route, status
	Pool     string     `json:"pool"`
}

func startChild(ctx context.Context, cfg Config, log *slog.Logger) (*loadCentre, error) {
	args := []string{"centre", "--postgres", cfg.Store, "--instances", strconv.Itoa(cfg.Instances),
		"--max-in-flight", strconv.Itoa(cfg.MaxInFlight), "--pool-idle", strconv.Itoa(cfg.PoolIdle)}
	if !centredb.IsPostgres(cfg.Store) {
		args[1] = "--sqlite"
	}
	if cfg.CPUProfile != "" {
		args = append(args, "--cpuprofile", cfg.CPUProfile+".centre")
	}
	cmd := exec.CommandContext(ctx, os.Args[0], args...) // #nosec G204 G702 -- the centre process is this program itself, with flags it built
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("centre process: %w", err)
	}
	ch := &childCentre{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	line, err := ch.read()
	addr, ok := strings.CutPrefix(line, "listening http://")
	if err != nil || !ok {
		_ = ch.close() // it did not start: its exit status adds nothing
		return nil, fmt.Errorf("centre process did not start: %q, %v", line, err)
	}
	db, err := centredb.Open(ctx, cfg.Store, centredb.Options{MaxConns: 8})
	if err != nil {
		_ = ch.close() // the store error is the one to report
		return nil, err
	}
	c := &loadCentre{log: log, addr: addr, child: ch,
		admin: &instance{db: db, store: centre.New(db, centre.Options{Logger: log})}}
	return c, nil
}

func (ch *childCentre) read() (string, error) {
	line, err := ch.out.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}

// ask sends a command and returns the answer line.
func (ch *childCentre) ask(command string) (string, error) {
	if _, err := fmt.Fprintln(ch.in, command); err != nil {
		return "", fmt.Errorf("centre process: %w", err)
	}
	line, err := ch.read()
	if err != nil {
		return "", fmt.Errorf("centre process: %s: %w", command, err)
	}
	if msg, failed := strings.CutPrefix(line, "error: "); failed {
		return "", fmt.Errorf("centre process: %s: %s", command, msg)
	}
	return line, nil
}

func (ch *childCentre) stop() ([]arrival, error) {
	line, err := ch.ask("stop")
	if err != nil {
		return nil, err
	}
	var rep childReport
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		return nil, fmt.Errorf("centre process: its report: %w", err)
	}
	ch.pool = rep.Pool
	list := make([]arrival, len(rep.Arrivals))
	for i, a := range rep.Arrivals {
		list[i] = arrival{at: time.Unix(0, a[0]), route: route(a[1]), status: int(a[2])} // #nosec G115 -- a small non-negative count or a value this program wrote itself
	}
	return list, nil
}

func (ch *childCentre) close() error {
	_ = ch.in.Close() // end of input: the child stops; Wait reports how
	return ch.cmd.Wait()
}

// serveCentre is the child: the centre, driven over standard input.
func (m *Main) serveCentre(ctx context.Context, stdin io.Reader) error {
	cfg := m.Config
	cfg.CentreProcess = false
	c, err := openCentre(ctx, cfg, m.Logger)
	if err != nil {
		return err
	}
	defer c.close()
	fmt.Fprintf(m.Stdout, "listening %s\n", c.url())
	lines := bufio.NewScanner(stdin)
	for lines.Scan() {
		var answer string
		switch cmd := lines.Text(); cmd {
		case "begin":
			c.arrivals.begin()
			answer = "ok"
		case "down", "up":
			var err error
			if cmd == "down" {
				err = c.down()
			} else {
				err = c.up()
			}
			answer = "ok"
			if err != nil {
				answer = "error: " + err.Error()
			}
		case "stop":
			rep := childReport{}
			for _, a := range c.arrivals.stop() {
				rep.Arrivals = append(rep.Arrivals, [3]int64{a.at.UnixNano(), int64(a.route), int64(a.status)})
			}
			var pool strings.Builder
			c.printPool(&pool, cfg)
			rep.Pool = pool.String()
			b, err := json.Marshal(rep)
			if err != nil {
				return err
			}
			answer = string(b)
		default:
			answer = "error: unknown command " + strconv.Quote(cmd)
		}
		if _, err := fmt.Fprintln(m.Stdout, answer); err != nil {
			return err
		}
	}
	return errors.Join(lines.Err(), ctx.Err())
}
