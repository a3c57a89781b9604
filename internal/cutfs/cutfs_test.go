package cutfs_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hanwen/go-fuse/v2/fuse"

	"lobbyline/internal/cutfs"
	"lobbyline/queue/durable"
)

func TestMain(m *testing.M) {
	cutfs.ServeIfChild()
	os.Exit(m.Run())
}

// mounted is a disk served in this process: these tests use plain reads
// and writes, never mmap, so the runtime cannot wait on its own server.
type mounted struct {
	t   *testing.T
	dir string
	d   *cutfs.Disk
	srv *fuse.Server
}

func mount(t *testing.T) *mounted {
	t.Helper()
	m := &mounted{t: t, dir: t.TempDir(), d: cutfs.New(1)}
	srv, err := cutfs.Mount(m.dir, m.d)
	if err != nil {
		t.Skipf("cannot mount a FUSE file system here (needs root and /dev/fuse): %v", err)
	}
	m.srv = srv
	t.Cleanup(func() { _ = m.srv.Unmount() })
	return m
}

// cut cuts the power, then mounts what survived.
func (m *mounted) cut() cutfs.Stats {
	m.t.Helper()
	st := m.d.Cut()
	if err := m.srv.Unmount(); err != nil {
		m.t.Fatalf("unmount: %v", err)
	}
	m.d.Revive()
	srv, err := cutfs.Mount(m.dir, m.d)
	if err != nil {
		m.t.Fatalf("mount again: %v", err)
	}
	m.srv = srv
	return st
}

func (m *mounted) path(name string) string { return filepath.Join(m.dir, name) }

// write writes data to name, creating it, and fsyncs the file if
// syncFile and the directory if syncDir.
func (m *mounted) write(name string, data []byte, syncFile, syncDir bool) {
	m.t.Helper()
	f, err := os.OpenFile(m.path(name), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		m.t.Fatal(err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		m.t.Fatal(err)
	}
	if syncFile {
		if err := f.Sync(); err != nil {
			m.t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		m.t.Fatal(err)
	}
	if syncDir {
		m.syncDir()
	}
}

func (m *mounted) syncDir() {
	m.t.Helper()
	if err := durable.SyncDir(m.dir); err != nil {
		m.t.Fatalf("fsync the directory: %v", err)
	}
}

func (m *mounted) read(name string) ([]byte, bool) {
	m.t.Helper()
	b, err := os.ReadFile(m.path(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		m.t.Fatal(err)
	}
	return b, true
}

func TestCutKeepsAFileSyncedWithItsDirectory(t *testing.T) {
	m := mount(t)
	m.write("a", []byte("kept"), true, true)
	m.cut()
	if b, ok := m.read("a"); !ok || string(b) != "kept" {
		t.Fatalf("after the cut a = %q, %t; want kept", b, ok)
	}
}

func TestCutLosesAnUnsyncedWrite(t *testing.T) {
	m := mount(t)
	m.write("a", []byte("first"), true, true)
	m.write("a", []byte("SECOND"), false, false)
	if b, _ := m.read("a"); string(b) != "SECOND" {
		t.Fatalf("before the cut a = %q; reads must see pending writes", b)
	}
	st := m.cut()
	if b, ok := m.read("a"); !ok || string(b) != "first" {
		t.Fatalf("after the cut a = %q, %t; want the synced first", b, ok)
	}
	if st.LostFiles != 1 {
		t.Errorf("stats %+v: want one file lost", st)
	}
}

func TestCutLosesANewFileWhoseDirectoryWasNotSynced(t *testing.T) {
	m := mount(t)
	m.write("new", []byte("data"), true, false)
	m.cut()
	if _, ok := m.read("new"); ok {
		t.Fatal("a new file survived the cut without its directory fsynced")
	}
}

func TestCutKeepsAnEmptyFileWhoseDirectoryAloneWasSynced(t *testing.T) {
	m := mount(t)
	m.write("new", []byte("data"), false, true)
	m.cut()
	if b, ok := m.read("new"); !ok || len(b) != 0 {
		t.Fatalf("after the cut new = %q, %t; want an empty file", b, ok)
	}
}

func TestCutUndoesARenameAndAnUnlinkUntilTheDirectoryIsSynced(t *testing.T) {
	m := mount(t)
	m.write("old", []byte("old"), true, true)
	m.write("gone", []byte("gone"), true, true)
	m.write("tmp", []byte("new"), true, false)
	if err := os.Rename(m.path("tmp"), m.path("old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(m.path("gone")); err != nil {
		t.Fatal(err)
	}
	m.cut()
	if b, _ := m.read("old"); string(b) != "old" {
		t.Errorf("after the cut old = %q; the rename was not synced", b)
	}
	if _, ok := m.read("gone"); !ok {
		t.Error("an unlink survived the cut without its directory fsynced")
	}

	if err := os.Rename(m.path("gone"), m.path("old")); err != nil {
		t.Fatal(err)
	}
	m.syncDir()
	m.cut()
	if b, _ := m.read("old"); string(b) != "gone" {
		t.Errorf("after a synced rename and a cut old = %q; want gone", b)
	}
}

func TestCutLosesAnUnsyncedTruncateAndChmod(t *testing.T) {
	m := mount(t)
	m.write("a", []byte("0123456789"), true, true)
	if err := os.Truncate(m.path("a"), 3); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(m.path("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	m.cut()
	b, _ := m.read("a")
	st, err := os.Stat(m.path("a"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "0123456789" || st.Mode().Perm() != 0o600 {
		t.Fatalf("after the cut a = %q mode %v; want the synced content and 0600", b, st.Mode().Perm())
	}
}

// TestCutTearsTheLastWriteAtASectorBoundary: with tearing certain, the
// last unsynced write reaches the disk as a whole number of sectors of
// its start, over the synced content, and nothing of the writes before it.
func TestCutTearsTheLastWriteAtASectorBoundary(t *testing.T) {
	torn := 0
	for range 20 {
		m := mount(t)
		m.d.SetTearProbability(1)
		old := bytes.Repeat([]byte{'o'}, 4096)
		m.write("a", old, true, true)
		m.write("a", bytes.Repeat([]byte{'x'}, 100), false, false) // an earlier unsynced write: lost
		f, err := os.OpenFile(m.path("a"), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt(bytes.Repeat([]byte{'n'}, 2000), 1024); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		st := m.cut()
		b, _ := m.read("a")
		if len(b) != 4096 {
			t.Fatalf("after the cut len = %d; want 4096", len(b))
		}
		if !bytes.Equal(b[:1024], old[:1024]) {
			t.Fatalf("the unsynced write before the last reached the disk: %q", b[:120])
		}
		n := bytes.Count(b, []byte{'n'})
		if n%cutfs.SectorSize != 0 || n != st.TornBytes || !bytes.Equal(b[1024:1024+n], bytes.Repeat([]byte{'n'}, n)) {
			t.Fatalf("%d bytes of the last write reached the disk (stats %+v); want a sector-aligned prefix", n, st)
		}
		if n > 0 {
			torn++
		}
		_ = m.srv.Unmount()
	}
	if torn == 0 {
		t.Fatal("20 cuts with tearing certain never tore a write")
	}
}

func TestACutDiskFailsEveryOperation(t *testing.T) {
	m := mount(t)
	m.write("a", []byte("a"), true, true)
	f, err := os.OpenFile(m.path("a"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m.d.Cut()
	if _, err := f.WriteAt([]byte("b"), 0); !errors.Is(err, syscall.EIO) {
		t.Errorf("write after the cut: %v; want EIO", err)
	}
	if err := f.Sync(); !errors.Is(err, syscall.EIO) {
		t.Errorf("fsync after the cut: %v; want EIO", err)
	}
	if err := os.WriteFile(m.path("b"), nil, 0o600); !errors.Is(err, syscall.EIO) {
		t.Errorf("create after the cut: %v; want EIO", err)
	}
}

func TestArmCutsBeforeTheNthChange(t *testing.T) {
	m := mount(t)
	m.write("a", []byte("0"), true, true)
	m.d.Arm(3) // write, fsync, then the third change fails
	f, err := os.OpenFile(m.path("a"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("2"), 0); !errors.Is(err, syscall.EIO) {
		t.Fatalf("the third change: %v; want EIO", err)
	}
	if !m.d.Dead() {
		t.Fatal("the disk is not cut")
	}
	f.Close()
	m.cut()
	if b, _ := m.read("a"); string(b) != "1" {
		t.Fatalf("after the armed cut a = %q; want the synced 1", b)
	}
}

// TestDurableWriteFileSurvivesACut: queue/durable's atomic write is
// whole after a cut; the same steps without the directory's fsync lose
// the file.
func TestDurableWriteFileSurvivesACut(t *testing.T) {
	m := mount(t)
	if err := durable.WriteFile(m.path("token"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	m.cut()
	if b, ok := m.read("token"); !ok || string(b) != "secret" {
		t.Fatalf("after the cut token = %q, %t", b, ok)
	}
}

// TestChildServesACutDisk runs the server in a child process, as tests
// that mmap files on the disk (SQLite) must.
func TestChildServesACutDisk(t *testing.T) {
	dir := t.TempDir()
	c, err := cutfs.Start(dir, 7)
	if errors.Is(err, cutfs.ErrMount) {
		t.Skipf("%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}()
	if err := durable.WriteFile(filepath.Join(dir, "kept"), []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lost"), []byte("lost"), 0o600); err != nil {
		t.Fatal(err)
	}
	if dead, err := c.Dead(); err != nil || dead {
		t.Fatalf("dead before the cut: %t, %v", dead, err)
	}
	if _, err := c.Cut(); err != nil {
		t.Fatal(err)
	}
	if err := c.Remount(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "kept")); err != nil || string(b) != "kept" {
		t.Errorf("kept = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "lost")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file written without fsync survived the cut: %v", err)
	}
}
