package cutfs

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// Environment of a test binary re-run as the file system's server.
const (
	envDir  = "LOBBYLINE_CUTFS_DIR"
	envSeed = "LOBBYLINE_CUTFS_SEED"
)

// ErrMount says the file system could not be mounted here (not root, no
// FUSE in the kernel, a container without the capability): tests skip.
var ErrMount = errors.New("cutfs: cannot mount a FUSE file system here")

// ServeIfChild serves the file system and exits if this process is a
// Child's server; otherwise it returns at once. Call it first in the
// TestMain of a package whose tests start a Child.
func ServeIfChild() {
	dir := os.Getenv(envDir)
	if dir == "" {
		return
	}
	seed, _ := strconv.ParseUint(os.Getenv(envSeed), 10, 64)
	os.Exit(serve(dir, seed, os.Stdin, os.Stdout))
}

// serve answers the parent's commands, one a line, each with one line
// starting "ok" or "error".
func serve(dir string, seed uint64, in io.Reader, out io.Writer) int {
	d := New(seed)
	srv, err := Mount(dir, d)
	if err != nil {
		fmt.Fprintf(out, "error %s\n", oneLine(err))
		return 1
	}
	fmt.Fprintln(out, "ok mounted")
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "arm":
			n, _ := strconv.Atoi(f[1])
			d.Arm(n)
			fmt.Fprintln(out, "ok")
		case "tear":
			p, _ := strconv.ParseFloat(f[1], 64)
			d.SetTearProbability(p)
			fmt.Fprintln(out, "ok")
		case "cut":
			b, _ := json.Marshal(d.Cut())
			fmt.Fprintf(out, "ok %s\n", b)
		case "dead":
			fmt.Fprintf(out, "ok %t\n", d.Dead())
		case "remount":
			if err := unmount(srv); err != nil {
				fmt.Fprintf(out, "error %s\n", oneLine(err))
				continue
			}
			d.Revive()
			if srv, err = Mount(dir, d); err != nil {
				fmt.Fprintf(out, "error %s\n", oneLine(err))
				return 1
			}
			fmt.Fprintln(out, "ok")
		case "quit":
			_ = unmount(srv)
			fmt.Fprintln(out, "ok")
			return 0
		default:
			fmt.Fprintf(out, "error unknown command %q\n", f[0])
		}
	}
	_ = unmount(srv)
	return 0
}

// unmount unmounts, waiting a little for files the kernel is still
// releasing.
func unmount(srv *fuse.Server) error {
	var err error
	for range 50 {
		if err = srv.Unmount(); err == nil {
			srv.Wait()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("unmount: %w", err)
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// Child is a cutfs mounted by a child process: the test binary run again,
// whose TestMain calls ServeIfChild.
type Child struct {
	dir string
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// Start mounts an empty disk at dir, served by a child process; torn
// writes follow seed. It returns an error wrapping ErrMount where the
// mount fails.
func Start(dir string, seed uint64) (*Child, error) {
	// #nosec G204 G702 -- this test binary, run again as the file system's server
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envDir+"="+dir, envSeed+"="+strconv.FormatUint(seed, 10))
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
		return nil, err
	}
	c := &Child{dir: dir, cmd: cmd, in: in, out: bufio.NewScanner(out)}
	_, err = c.answer()
	var refused answerError
	switch {
	case errors.As(err, &refused):
		_ = cmd.Wait()
		return nil, fmt.Errorf("%w: %w", ErrMount, err)
	case err != nil:
		// The server died before it could try: a bug, not this machine.
		_ = cmd.Process.Kill()
		return nil, errors.Join(err, cmd.Wait())
	}
	return c, nil
}

func (c *Child) answer() (string, error) {
	if !c.out.Scan() {
		return "", fmt.Errorf("cutfs server: gone (%v)", c.out.Err())
	}
	line := c.out.Text()
	if rest, ok := strings.CutPrefix(line, "ok"); ok {
		return strings.TrimSpace(rest), nil
	}
	return "", answerError(strings.TrimPrefix(line, "error "))
}

// answerError is the server's "error" answer.
type answerError string

func (e answerError) Error() string { return string(e) }

func (c *Child) do(cmd string) (string, error) {
	if _, err := fmt.Fprintln(c.in, cmd); err != nil {
		return "", fmt.Errorf("cutfs server: %w", err)
	}
	return c.answer()
}

// Arm makes the disk cut itself before the n-th change from now.
func (c *Child) Arm(n int) error {
	_, err := c.do("arm " + strconv.Itoa(n))
	return err
}

// SetTearProbability sets how often a cut tears the last unsynced write.
func (c *Child) SetTearProbability(p float64) error {
	_, err := c.do("tear " + strconv.FormatFloat(p, 'g', -1, 64))
	return err
}

// Dead says whether the disk has been cut (by Cut or by Arm's count).
func (c *Child) Dead() (bool, error) {
	s, err := c.do("dead")
	return s == "true", err
}

// Cut cuts the power now, unless the disk is dead already.
func (c *Child) Cut() (Stats, error) {
	s, err := c.do("cut")
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	return st, json.Unmarshal([]byte(s), &st)
}

// Remount unmounts the cut disk and mounts what survived. Every file on
// the mount must be closed first.
func (c *Child) Remount() error {
	_, err := c.do("remount")
	return err
}

// Close unmounts and stops the server; if it is wedged, the mount is
// detached and the server killed.
func (c *Child) Close() error {
	_, err := c.do("quit")
	_ = c.in.Close()
	if err != nil {
		_ = syscall.Unmount(c.dir, syscall.MNT_DETACH)
		_ = c.cmd.Process.Kill()
	}
	return errors.Join(err, c.cmd.Wait())
}
