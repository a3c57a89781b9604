package queue_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/diskwatch"
	"lobbyline/queue/sqldb"
)

// smallDisk mounts a real tmpfs of size (such as "3m") and returns its
// directory, unmounted at cleanup. It skips, saying why, where mounting
// is not allowed.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("a small file system for this test needs mount (as root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// remount mounts dir again with opts ("ro", "rw").
func remount(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v: %s", dir, opts, err, out)
	}
}

// fill writes a file in dir until the disk is full, and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if sqldb.FaultOf(err) != sqldb.FaultFull {
				t.Fatalf("fill: %v", err)
			}
			return path
		}
	}
}

// openToRead opens the database at path to read only, as the command
// line does; closed at cleanup. where says where, for the failure.
func openToRead(t *testing.T, path string, c *clock, where string) *queue.Store {
	t.Helper()
	opts := testOptions(c)
	opts.ReadOnly = true
	s, err := queue.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("open to read %s: %v", where, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func waiting(t *testing.T, s *queue.Store) int {
	t.Helper()
	n, err := s.Waiting(context.Background())
	if err != nil {
		t.Fatalf("waiting: %v", err)
	}
	return n
}

func TestOpeningWritesNothingWhenNothingChanged(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := mustOpenStore(t, path, c)
	mustCheckIn(t, s, "Ana", "registration")
	s.Close()
	sum := func() [32]byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	before := sum()
	s2, err := queue.Open(context.Background(), path, testOptions(c))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path + "-wal"); err != nil || st.Size() != 0 {
		t.Errorf("after opening, the WAL is %v (err %v), want empty: opening wrote", st, err)
	}
	s2.Close()
	if sum() != before {
		t.Error("opening and closing a database set up for this config changed it")
	}
	// A changed config is written.
	opts := testOptions(c)
	opts.Services[0].Name = "Admissions"
	s3, err := queue.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	s3.Close()
	if sum() == before {
		t.Error("a renamed service was not mirrored into the database")
	}
}

func TestFullDisk(t *testing.T) {
	ctx := context.Background()
	dir := smallDisk(t, "3m")
	c := newClock()
	path := filepath.Join(dir, "kiosk.db")
	running := mustOpenStore(t, path, c) // the kiosk, running through it all
	mustCheckIn(t, running, "Ana", "registration")
	watch := diskwatch.New(running, nil, nil)
	var heard []bool
	running.SubscribeLocalProblem(func(_ queue.LocalProblem, raised bool) { heard = append(heard, raised) })

	filler := fill(t, dir)

	// Staff can still read, through a second opening that writes nothing.
	cli, err := queue.Open(ctx, path, testOptions(c))
	if err != nil {
		t.Fatalf("open beside the running kiosk on a full disk: %v", err)
	}
	if n := waiting(t, cli); n != 1 {
		t.Errorf("waiting = %d, want 1", n)
	}
	cli.Close()

	// Check-ins until one cannot be saved: it raises the local problem at
	// once and says so in words a visitor can act on.
	var cerr error
	for i := 0; i < 5000 && cerr == nil; i++ {
		_, cerr = running.CheckIn(ctx, queue.CheckInForm{Name: "Ben", Service: "registration"}, queue.SourceKiosk)
	}
	var qe *queue.Error
	if !errors.As(cerr, &qe) || qe.Fault != sqldb.FaultFull || qe.Key != "error.unsaved" {
		t.Fatalf("check-in on a full disk: %v, want a queue.Error with FaultFull and key error.unsaved", cerr)
	}
	p, ok := running.LocalProblem()
	if !ok || p.Fault != sqldb.FaultFull || p.Path != path {
		t.Fatalf("local problem = %+v, %v; want the disk full at %s", p, ok, path)
	}
	if len(heard) != 1 || !heard[0] {
		t.Errorf("subscribers heard %v, want one raise", heard)
	}
	saved := waiting(t, running)

	// While full, the monitor keeps the problem.
	if err := watch.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := running.LocalProblem(); !ok {
		t.Error("the monitor ended the problem while the disk is still full")
	}
	if st := watch.Status(); !st.Known || st.Free >= diskwatch.ResumeFree || !st.HasProblem {
		t.Errorf("monitor status = %+v", st)
	}

	// Space returns: the monitor ends the problem, no restart, nothing lost.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := watch.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if p, ok := running.LocalProblem(); ok {
		t.Fatalf("after space returned, the problem stays: %+v", p)
	}
	mustCheckIn(t, running, "Carla", "registration")
	if n := waiting(t, running); n != saved+1 {
		t.Errorf("waiting = %d, want %d", n, saved+1)
	}
}

func TestFullDiskReadWithKioskStopped(t *testing.T) {
	ctx := context.Background()
	dir := smallDisk(t, "3m")
	c := newClock()
	path := filepath.Join(dir, "kiosk.db")
	s := mustOpenStore(t, path, c)
	mustCheckIn(t, s, "Ana", "registration")
	s.Close()
	fill(t, dir)

	_, err := queue.Open(ctx, path, testOptions(c))
	var de *queue.DiskError
	if !errors.As(err, &de) || de.Fault != sqldb.FaultFull || de.Path != path {
		t.Fatalf("opening to write on a full disk: %v, want a DiskError: the disk is full at %s", err, path)
	}
	if got := de.Error(); got != "the disk is full: "+path {
		t.Errorf("DiskError says %q", got)
	}
	ro := openToRead(t, path, c, "on a full disk")
	if n := waiting(t, ro); n != 1 {
		t.Errorf("waiting = %d, want 1", n)
	}
	if _, err := ro.CheckIn(ctx, queue.CheckInForm{Name: "Ben", Service: "registration"}, queue.SourceKiosk); !errors.Is(err, queue.ErrReadOnlyStore) {
		t.Errorf("check-in through a read-only opening: %v", err)
	}
}

func TestReadOnlyMount(t *testing.T) {
	ctx := context.Background()
	dir := smallDisk(t, "3m")
	c := newClock()
	path := filepath.Join(dir, "kiosk.db")
	s := mustOpenStore(t, path, c)
	mustCheckIn(t, s, "Ana", "registration")
	s.Close()
	remount(t, dir, "ro")
	defer remount(t, dir, "rw")

	if _, err := queue.Open(ctx, path, testOptions(c)); queue.FaultOf(err) == sqldb.FaultNone {
		t.Fatalf("opening to write on a read-only disk: %v, want a disk fault", err)
	}
	ro := openToRead(t, path, c, "on a read-only disk")
	if n := waiting(t, ro); n != 1 {
		t.Errorf("waiting = %d, want 1", n)
	}
}

// The reserve is given back the moment a commit fails for space, the
// commit tried again, and made again once there is room.
func TestReserve(t *testing.T) {
	ctx := context.Background()
	dir := smallDisk(t, "8m")
	c := newClock()
	path := filepath.Join(dir, "kiosk.db")
	r := &queue.Reserve{Path: path + ".reserve", Size: 1 << 20}
	opts := testOptions(c)
	opts.Reserve = r
	s, err := queue.Open(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	watch := diskwatch.New(s, r, nil)
	if err := watch.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if !r.Held() {
		t.Fatal("the monitor did not make the reserve")
	}
	filler := fill(t, dir)
	// At a lobby's pace the WAL is checkpointed between check-ins.
	n := 0
	for ; n < 3000; n++ {
		if _, err := s.CheckIn(ctx, queue.CheckInForm{Name: "Ben", Service: "registration"}, queue.SourceKiosk); err != nil {
			break
		}
		if err := s.Checkpoint(ctx); err != nil && !r.Held() {
			t.Fatalf("checkpoint after the reserve was given back: %v", err)
		}
		if !r.Held() {
			break
		}
	}
	if r.Held() {
		t.Fatalf("%d check-ins on a full disk and the reserve still held", n)
	}
	if _, ok := s.LocalProblem(); ok {
		t.Fatal("the commit that gave back the reserve raised the problem")
	}
	// What the reserve gave back holds more check-ins.
	more := 0
	for ; more < 200; more++ {
		if _, err := s.CheckIn(ctx, queue.CheckInForm{Name: "Dee", Service: "registration"}, queue.SourceKiosk); err != nil {
			t.Fatalf("check-in %d after the reserve was given back: %v", more, err)
		}
		if err := s.Checkpoint(ctx); err != nil {
			t.Fatalf("checkpoint %d after the reserve was given back: %v", more, err)
		}
	}
	if err := watch.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if st := watch.Status(); st.ReserveHeld || st.Fit != queue.CheckInsThatFit(st.Free) {
		t.Errorf("status while full = %+v", st)
	}
	os.Remove(filler)
	if err := watch.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if !r.Held() {
		t.Error("the reserve was not made again once space returned")
	}
	b, _ := os.ReadFile(r.Path)
	if int64(len(b)) != r.Size || !bytes.Equal(b[:16], make([]byte, 16)) {
		t.Errorf("reserve file is %d bytes", len(b))
	}
}

// TestReserveHolds2000CheckIns fills a real small file system around a
// kiosk holding the default reserve, then runs visits (check-in, call,
// serve) at a lobby's pace (the WAL copied back and truncated between
// them, as the checkpointer does a second after each) until one cannot be
// saved: the reserve must have given room for at least 2,000, and at
// least as many as the disk monitor said would fit.
func TestReserveHolds2000CheckIns(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a file system")
	}
	ctx := context.Background()
	dir := smallDisk(t, "48m")
	c := newClock()
	path := filepath.Join(dir, "kiosk.db")
	opts := testOptions(c)
	opts.Reserve = &queue.Reserve{Path: path + ".reserve", Size: queue.DefaultReserveBytes}
	s, err := queue.Open(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	watch := diskwatch.New(s, opts.Reserve, nil)
	if err := watch.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if !opts.Reserve.Held() {
		t.Fatal("the monitor did not make the reserve on an empty disk")
	}
	if _, err := s.Apply(ctx, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Ana"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	fill(t, dir)
	if err := watch.Check(ctx); err != nil {
		t.Fatal(err)
	}
	promised := watch.Status().Fit

	visits := 0
	for ; visits < 10000; visits++ {
		c.Advance(2 * time.Minute)
		_, err := s.CheckIn(ctx, queue.CheckInForm{Name: fmt.Sprintf("Visitor %d", visits), Host: "Dr Ruiz", Phone: "+44 20 7946 0000", Service: "registration"}, queue.SourceKiosk)
		if err == nil {
			var v queue.Visit
			if v, err = s.Apply(ctx, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Ana"}); err == nil {
				_, err = s.Apply(ctx, queue.Command{Action: queue.ActServe, Visit: v.ID, Staff: "Ana"})
			}
		}
		if err != nil {
			if queue.FaultOf(err) != sqldb.FaultFull {
				t.Fatalf("visit %d: %v, want the disk full", visits, err)
			}
			break
		}
		// The checkpointer's work. Like the kiosk's, it may fail for space
		// or find the background checkpointer busy, and is only logged.
		if err := s.Checkpoint(ctx); err != nil {
			t.Logf("checkpoint after visit %d: %v", visits, err)
		}
	}
	t.Logf("the default reserve (%d MB) held %d visits; the monitor had said %d fit", queue.DefaultReserveBytes>>20, visits, promised)
	if visits < 2000 {
		t.Errorf("the default reserve held %d visits, want at least 2,000", visits)
	}
	if int64(visits) < promised {
		t.Errorf("the monitor said %d check-ins fit, but only %d did", promised, visits)
	}
	if _, ok := s.LocalProblem(); !ok {
		t.Error("the visit that could not be saved raised no local problem")
	}
}

// Trim keeps a folder of the kiosk's own files to its newest few.
func TestTrim(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		p := filepath.Join(dir, fmt.Sprintf("export-%d.csv", i))
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		at := base.AddDate(0, 0, i)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	gone, err := diskwatch.Trim(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != 3 || filepath.Base(gone[0]) != "export-0.csv" || filepath.Base(gone[2]) != "export-2.csv" {
		t.Errorf("trimmed %v, want the three oldest", gone)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 3 { // two exports and the folder, which is not the kiosk's to trim
		t.Errorf("left %d entries, want 3", len(left))
	}
}

// errorsRemountRODisk mounts a small ext4 file system from a loop image
// with errors=remount-ro, as SD cards are mounted, and returns its
// directory, a func that makes the kernel remount it read-only as it does
// on a media error (ext4's trigger_fs_error), and one that unmounts and
// mounts it again, as a reboot would. It skips, saying why, where loop
// mounts or the trigger are not available.
func errorsRemountRODisk(t *testing.T) (dir string, fail, reboot func()) {
	t.Helper()
	img := filepath.Join(t.TempDir(), "sd.img")
	dir = t.TempDir()
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 32<<20); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
		t.Skipf("an ext4 image for this test needs mkfs.ext4: %v: %s", err, out)
	}
	mount := func() {
		if out, err := exec.Command("mount", "-o", "loop,errors=remount-ro", img, dir).CombinedOutput(); err != nil {
			t.Skipf("a loop mount for this test needs mount (as root): %v: %s", err, out)
		}
	}
	umount := func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	}
	mount()
	t.Cleanup(umount)
	src, err := exec.Command("findmnt", "-n", "-o", "SOURCE", dir).Output()
	if err != nil {
		t.Skipf("findmnt: %v", err)
	}
	trigger := filepath.Join("/sys/fs/ext4", filepath.Base(strings.TrimSpace(string(src))), "trigger_fs_error")
	if _, err := os.Stat(trigger); err != nil {
		t.Skipf("this kernel has no %s: %v", trigger, err)
	}
	fail = func() {
		if err := os.WriteFile(trigger, []byte("1"), 0o200); err != nil {
			t.Fatalf("trigger an ext4 error: %v", err)
		}
	}
	reboot = func() {
		umount()
		if out, err := exec.Command("fsck.ext4", "-p", img).CombinedOutput(); err != nil {
			t.Logf("fsck.ext4 -p: %v: %s", err, out) // repaired: exit status 1
		}
		mount()
	}
	return dir, fail, reboot
}

// TestReadOnlyRemountWhileRunning: the SD card under a running kiosk is
// remounted read-only by the kernel after a media error (ext4's
// errors=remount-ro, which statfs does not show). The next commit fails,
// says so in words (the disk is read-only, not a SQLite code) and raises
// the local problem at once; the running kiosk and the command line still
// read the queue; after a reboot everything acknowledged is there.
func TestReadOnlyRemountWhileRunning(t *testing.T) {
	ctx := context.Background()
	dir, fail, reboot := errorsRemountRODisk(t)
	c := newClock()
	path := filepath.Join(dir, "kiosk.db")
	s, err := queue.Open(ctx, path, testOptions(c))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustCheckIn(t, s, "Ana", "registration")
	mustCheckIn(t, s, "Bo", "pharmacy")

	fail()
	_, err = s.CheckIn(ctx, queue.CheckInForm{Name: "Ben", Service: "registration"}, queue.SourceKiosk)
	if f := queue.FaultOf(err); f != sqldb.FaultReadOnly {
		t.Fatalf("a check-in on the remounted disk: %v (%s), want the disk is read-only", err, f)
	}
	if p, ok := s.LocalProblem(); !ok || p.Fault != sqldb.FaultReadOnly {
		t.Fatalf("local problem %+v %v, want read-only at once", p, ok)
	}
	if n := waiting(t, s); n != 2 {
		t.Errorf("the running kiosk reads %d waiting, want 2", n)
	}
	cli := openToRead(t, path, c, "beside the running kiosk")
	if n := waiting(t, cli); n != 2 {
		t.Errorf("the command line reads %d waiting, want 2", n)
	}
	cli.Close() // before the reboot unmounts the disk
	s.Close()   // its checkpoint fails on the read-only disk; the WAL stays

	reboot()
	s2 := mustOpenStore(t, path, c)
	if n := waiting(t, s2); n != 2 {
		t.Errorf("after the reboot %d waiting, want 2", n)
	}
	if problems, err := s2.QuickCheck(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("quick check after the reboot: %v %v", problems, err)
	}
	mustCheckIn(t, s2, "Ben", "registration")
}
