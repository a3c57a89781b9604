package main

import (
	"context"
	"errors"
	"fmt"

	"lobbyline/queue"
)

// backup writes a consistent copy of the database while the kiosk runs.
func backup(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("backup", "Write a consistent copy of the kiosk database to FILE, while the kiosk runs: kiosk backup [--force] FILE")
	force := fs.Bool("force", false, "replace FILE if it exists")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("backup: give the file to write, like kiosk backup /var/backups/lobby-1.db")
	}
	if err := m.store.Backup(ctx, fs.Arg(0), *force); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "backed up %s to %s\n", m.DBPath, fs.Arg(0))
	return nil
}

// restore puts a backup in place of the kiosk database. It opens no
// store: one open here would itself hold the database it replaces.
func restore(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("restore", "Put a backup in place of the kiosk database (the kiosk must be stopped): kiosk restore [--force] FILE")
	force := fs.Bool("force", false, "replace the copy an earlier restore kept ("+queue.BeforeRestore+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("restore: give the backup file, like kiosk restore /var/backups/lobby-1.db")
	}
	err := queue.Restore(ctx, fs.Arg(0), m.DBPath, queue.RestoreOptions{KioskID: m.Config.KioskID, Force: *force})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "restored %s from %s; the database it replaced is %s%s\nchanges made from now on go to the centre in a new epoch\n",
		m.DBPath, fs.Arg(0), m.DBPath, queue.BeforeRestore)
	return nil
}
