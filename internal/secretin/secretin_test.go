package secretin

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func digits(s string) error {
	if strings.Trim(s, "0123456789") != "" {
		return errors.New("digits only")
	}
	return nil
}

func TestReadFromAPipe(t *testing.T) {
	var prompts bytes.Buffer
	in := New(strings.NewReader("246810\r\nbadge-7\n12a4\n"), &prompts, "pipe it in")
	if in.Terminal() {
		t.Fatal("a reader is not a terminal")
	}
	for _, want := range []string{"246810", "badge-7"} {
		got, err := in.Read("PIN", nil)
		if err != nil || got != want {
			t.Fatalf("Read = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := in.Read("PIN", digits); err == nil || err.Error() != "digits only" {
		t.Fatalf("a refused secret: %v, want check's error", err)
	}
	_, err := in.Read("badge's code", nil)
	if !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), "no badge's code") || !strings.Contains(err.Error(), "pipe it in") {
		t.Fatalf("no line left: %v", err)
	}
	if prompts.Len() != 0 {
		t.Errorf("prompts on a pipe: %q", prompts.String())
	}
}

// pty is a pseudo-terminal: the program reads and prompts on the
// terminal's side; the test types on the other and reads what the
// terminal shows, echo included.
type pty struct {
	master, term *os.File
	mu           sync.Mutex
	shown        bytes.Buffer
}

func openPTY(t *testing.T) *pty {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0) // #nosec G304 -- the pty just opened
	if err != nil {
		t.Skipf("no /dev/pts here: %v", err)
	}
	p := &pty{master: master, term: tty}
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.shown.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { _ = tty.Close(); _ = master.Close() })
	return p
}

func (p *pty) screen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.shown.String()
}

// keys are a line typed after the terminal has shown prompt n times.
type keys struct {
	prompt string
	n      int
	line   string
}

// types types the keys, in order, on a goroutine of its own, and closes
// the channel it returns when done.
func (p *pty) types(t *testing.T, ks ...keys) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, k := range ks {
			p.typeAfter(t, k.prompt, k.n, k.line)
		}
	}()
	return done
}

// typeAfter waits until the terminal has shown prompt (its nth time) and
// has echo off — term.ReadPassword turns it off after the prompt, and
// what is typed before that would be echoed — then types line.
func (p *pty) typeAfter(t *testing.T, prompt string, nth int, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(p.term.Fd()), unix.TCGETS)
		if err != nil {
			t.Error(err)
			return
		}
		if strings.Count(p.screen(), prompt) >= nth && tio.Lflag&unix.ECHO == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the terminal never asked %q with echo off; it shows %q", prompt, p.screen())
			return
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := p.master.WriteString(line); err != nil {
		t.Error(err)
	}
}

func TestReadAtATerminalTwiceWithoutEcho(t *testing.T) {
	p := openPTY(t)
	in := New(p.term, p.term, "")
	if !in.Terminal() {
		t.Fatal("a pty is a terminal")
	}
	typed := p.types(t, keys{"PIN: ", 1, "864209\n"}, keys{"PIN, again: ", 1, "864209\n"})
	got, err := in.Read("PIN", digits)
	<-typed
	if err != nil || got != "864209" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	if strings.Contains(p.screen(), "864209") {
		t.Errorf("the PIN was echoed: %q", p.screen())
	}

	typed = p.types(t, keys{"PIN: ", 2, "111111\n"}, keys{"PIN, again: ", 2, "111112\n"})
	_, err = in.Read("PIN", digits)
	<-typed
	if err == nil || !strings.Contains(err.Error(), "differ") {
		t.Fatalf("two different entries: %v", err)
	}

	typed = p.types(t, keys{"PIN: ", 3, "12ab\n"})
	_, err = in.Read("PIN", digits)
	<-typed
	if err == nil || err.Error() != "digits only" {
		t.Fatalf("a refused first entry is not asked again: %v", err)
	}

	typed = p.types(t, keys{"Badge: ", 1, "\n"})
	_, err = in.Read("badge", nil)
	<-typed
	if !errors.Is(err, ErrEmpty) {
		t.Fatalf("nothing typed: %v", err)
	}
}
