package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// program is one of the two binaries being compared.
type program struct {
	Name string
	Bin  string
	// Args are the program's arguments for a run whose private temporary
	// directory is dir.
	Args func(dir string) []string
}

// sample is what one run of a program measured.
type sample struct {
	FirstFrame time.Duration // process start to the end of the first non-blank capture
	Captures   int           // screenshots taken until then, the blank ones included
	CaptureAvg time.Duration // mean time one screenshot took: the resolution of FirstFrame
	// CPU is the user+system time of all the program's threads when its
	// first frame was seen: less at the mercy of other load on the machine
	// than FirstFrame.
	CPU time.Duration
	Mem memory // after the idle period
}

// screen is the geometry every run uses; the kiosk window is 1280×800.
const screen = "1280x800x24"

// measure starts a private Xvfb, starts p on it, waits for its first
// non-blank frame, lets it idle and reads its memory. Everything it
// started is stopped and everything it wrote is removed before it returns.
func measure(ctx context.Context, cfg Config, p program) (s sample, err error) {
	dir, err := os.MkdirTemp("", "startbench-"+p.Name+"-")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(dir)

	x, err := startXvfb(ctx, cfg.Timeout)
	if err != nil {
		return sample{}, err
	}
	defer func() {
		if serr := x.stop(); err == nil && serr != nil {
			err = fmt.Errorf("stop Xvfb: %w", serr)
		}
	}()
	// The empty root window must read as blank, or every frame would count.
	blank, err := capture(ctx, x.display)
	if err != nil {
		return sample{}, err
	}
	if !blank {
		return sample{}, errors.New("the root window of a fresh Xvfb is not uniform; cannot tell when a frame is drawn")
	}

	cmd := exec.Command(p.Bin, p.Args(dir)...) // #nosec G204 -- the benchmark runs the programs it is told to measure, as their operator
	cmd.Env = childEnv(os.Environ(), x.display, dir)
	var out tailBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, fmt.Errorf("start %s: %w", p.Name, err)
	}
	child := watch(cmd)
	defer func() {
		if serr := child.stop(); err == nil && serr != nil {
			err = fmt.Errorf("stop %s: %w", p.Name, serr)
		}
	}()
	died := func() error {
		return fmt.Errorf("%s exited early (%v); its output ends:\n%s", p.Name, child.err, out.String())
	}

	var spent time.Duration
	deadline := start.Add(cfg.Timeout)
	for next := start; ; next = next.Add(cfg.Poll) {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		} else {
			next = time.Now() // xwd is slower than the poll interval: no backlog
		}
		select {
		case <-child.done:
			return sample{}, died()
		default:
		}
		t0 := time.Now()
		blank, err := capture(ctx, x.display)
		now := time.Now()
		if err != nil {
			return sample{}, err
		}
		spent += now.Sub(t0)
		s.Captures++
		if !blank {
			s.FirstFrame = now.Sub(start)
			stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
			if err == nil {
				s.CPU, err = parseCPU(string(stat))
			}
			if err != nil {
				return sample{}, fmt.Errorf("read CPU time of %s: %w", p.Name, err)
			}
			break
		}
		if now.After(deadline) {
			return sample{}, fmt.Errorf("%s drew nothing in %v; its output ends:\n%s", p.Name, cfg.Timeout, out.String())
		}
	}
	s.CaptureAvg = spent / time.Duration(s.Captures)

	select {
	case <-time.After(cfg.Idle):
	case <-child.done:
		return sample{}, died()
	case <-ctx.Done():
		return sample{}, ctx.Err()
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return sample{}, fmt.Errorf("read memory of %s: %w", p.Name, err)
	}
	if s.Mem, err = parseStatus(string(status)); err != nil {
		return sample{}, fmt.Errorf("read memory of %s: %w", p.Name, err)
	}
	return s, nil
}

// capture takes one screenshot of the root window and reports whether it
// is blank, that is every pixel the same colour.
func capture(ctx context.Context, display string) (blank bool, err error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "xwd", "-root", "-silent", "-display", display) // #nosec G204 -- the benchmark runs the programs it is told to measure, as their operator
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return false, fmt.Errorf("xwd: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	img, err := parseXWD(b)
	if err != nil {
		return false, err
	}
	return img.uniform()
}

// childEnv is the parent's environment with the display, the locale and
// every per-user directory replaced, so that both programs start alike and
// nothing they write outlives the run. Session variables that could make
// GLFW pick Wayland or Fyne talk to a desktop bus are dropped.
func childEnv(parent []string, display, dir string) []string {
	drop := map[string]bool{
		"DISPLAY": true, "WAYLAND_DISPLAY": true, "XAUTHORITY": true,
		"DBUS_SESSION_BUS_ADDRESS": true, "XDG_RUNTIME_DIR": true, "XDG_SESSION_TYPE": true,
		"HOME": true, "XDG_DATA_HOME": true, "XDG_CONFIG_HOME": true, "XDG_CACHE_HOME": true,
		"LANG": true, "LANGUAGE": true, "LC_ALL": true, "LC_MESSAGES": true,
	}
	var env []string
	for _, kv := range parent {
		if k, _, _ := strings.Cut(kv, "="); !drop[k] {
			env = append(env, kv)
		}
	}
	return append(env,
		"DISPLAY="+display,
		"LANG=en_US.UTF-8",
		"HOME="+dir,
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"),
	)
}

// xvfb is a running private X server.
type xvfb struct {
	*process
	display string // like ":3"
}

// startXvfb starts an X server on the first free display and waits until
// it accepts connections: Xvfb writes the display number to -displayfd only
// then.
func startXvfb(ctx context.Context, timeout time.Duration) (*xvfb, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out tailBuffer
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", screen, "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w} // fd 3 in the child
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Start()
	_ = w.Close() // only the child writes; EOF if it dies
	if err != nil {
		return nil, fmt.Errorf("start Xvfb: %w", err)
	}
	x := &xvfb{process: watch(cmd)}

	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			_ = x.stop() // the read error is the one to report
			return nil, fmt.Errorf("no display number from Xvfb (%q); its output ends:\n%s", s, out.String())
		}
		x.display = ":" + strconv.Itoa(n)
		return x, nil
	case <-time.After(timeout):
		_ = x.stop() // the timeout is the one to report
		return nil, fmt.Errorf("no display from Xvfb after %v; its output ends:\n%s", timeout, out.String())
	case <-ctx.Done():
		_ = x.stop() // cancelled: the context says why
		return nil, ctx.Err()
	}
}

// process is a started child whose exit is being waited for.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the child has exited
	err  error         // Wait's result; read it after done is closed
}

func watch(cmd *exec.Cmd) *process {
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p
}

// stop sends SIGTERM, which lets Xvfb remove its lock file and socket and
// the kiosk close its database, waits a little, then kills.
func (p *process) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(3 * time.Second):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-p.done
	return nil
}

// tailBuffer keeps the last few kilobytes a child printed, for error
// messages. It is written by exec's copying goroutine and read after the
// process has exited or timed out, so it needs a lock.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 4 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
