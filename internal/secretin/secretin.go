// Package secretin reads the secrets the command lines take — staff PINs,
// badge codes, console passwords — never from argv, where any user of
// the machine can read them in ps: at a terminal, typed twice without
// echo; otherwise one line of standard input each, so a script can pipe
// them in.
package secretin

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// ErrEmpty marks an empty answer: nothing typed, or no line left on
// standard input. A command that takes "empty" to mean "remove" tests
// for it; to the others it is an error that says how to give the secret.
var ErrEmpty = errors.New("nothing was read")

// maxLine bounds what is read from a pipe: no secret here is longer.
const maxLine = 4096

// Input reads secrets from one standard input.
type Input struct {
	prompts io.Writer     // where a terminal's prompts go (standard error)
	fd      int           // the terminal's, or -1
	lines   *bufio.Reader // standard input when it is not a terminal
	hint    string        // how to pipe the secrets in, for the error on no input
}

// New reads from stdin, prompting on prompts when stdin is a terminal.
// hint ends the error when nothing is read, e.g. "pipe it in: printf
// '%s\n' "$PIN" | lobbyline-kiosk staff add …".
func New(stdin io.Reader, prompts io.Writer, hint string) *Input {
	in := &Input{prompts: prompts, fd: -1, hint: hint}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		in.fd = int(f.Fd())
	} else {
		in.lines = bufio.NewReader(io.LimitReader(stdin, maxLine))
	}
	return in
}

// Terminal reports whether the secrets are typed at a terminal.
func (in *Input) Terminal() bool { return in.fd >= 0 }

// Read asks for what (e.g. "PIN (6 to 12 digits)"; not empty) and returns it. check,
// if not nil, runs on the first typing, so a terminal asks no
// confirmation of a secret that is refused anyway; at a terminal the
// secret is then typed again and the two must match.
func (in *Input) Read(what string, check func(string) error) (string, error) {
	if check == nil {
		check = func(string) error { return nil }
	}
	if !in.Terminal() {
		line, err := in.lines.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the %s from standard input: %w", what, err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return "", in.empty(what)
		}
		return line, check(line)
	}
	prompt := strings.ToUpper(what[:1]) + what[1:] // a prompt starts its line
	first, err := in.ask(prompt + ": ")
	if err != nil {
		return "", err
	}
	if first == "" {
		return "", in.empty(what)
	}
	if err := check(first); err != nil {
		return "", err
	}
	second, err := in.ask(prompt + ", again: ")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", fmt.Errorf("the two entries of the %s differ; nothing changed", what)
	}
	return first, nil
}

// ask prompts and reads one line without echo.
func (in *Input) ask(prompt string) (string, error) {
	fmt.Fprint(in.prompts, prompt)
	b, err := term.ReadPassword(in.fd)
	fmt.Fprintln(in.prompts) // the Enter was not echoed either
	if err != nil {
		return "", fmt.Errorf("read from the terminal: %w", err)
	}
	return strings.TrimRight(string(b), "\r"), nil
}

func (in *Input) empty(what string) error {
	if in.Terminal() {
		return fmt.Errorf("%w: no %s typed", ErrEmpty, what)
	}
	how := "type it at a terminal"
	if in.hint != "" {
		how += ", or " + in.hint
	}
	return fmt.Errorf("%w: no %s on standard input (%s)", ErrEmpty, what, how)
}
