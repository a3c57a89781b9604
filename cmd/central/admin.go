package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"lobbyline/internal/secretin"
	"lobbyline/queue"
	"lobbyline/syncer/centre"
)

// adminAddCmd adds a fleet console account. The password is read from
// standard input, never from the command line, where ps and the shell's
// history would show it: typed twice without echo at a terminal, or the
// first line of a pipe.
type adminAddCmd struct{ name string }

func (*adminAddCmd) flags(*flag.FlagSet) {}

func (c *adminAddCmd) args(args []string) error {
	if err := wantArgs(args, "NAME"); err != nil {
		return err
	}
	c.name = args[0]
	if !queue.ValidID(c.name) {
		return fmt.Errorf("admin name %q must be lower-case letters, digits and dashes, like it-ops", c.name)
	}
	return nil
}

func (c *adminAddCmd) run(ctx context.Context, m *Main) error {
	password, err := readPassword(m)
	if err != nil {
		return err
	}
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := st.AddAdmin(ctx, c.name, password); err != nil {
		if errors.Is(err, centre.ErrWeakPassword) {
			return fmt.Errorf("a console password needs %d characters or more", centre.MinPasswordLength)
		}
		return err
	}
	fmt.Fprintf(m.Stdout, "Admin %s can sign in to the fleet console (admin_listen in the config). Setting the password again unlocks the account.\n", c.name)
	return nil
}

// readPassword reads the password from a terminal without echo, twice, or
// else the first line of standard input.
func readPassword(m *Main) (string, error) {
	return secretin.New(m.Stdin, m.Stderr, "pipe it in, like: central admin add it-ops < password-file").Read("password", nil)
}
