// Package cutfs is a file system for power-cut tests: a FUSE file system,
// held in memory, that forgets on a cut what a real disk may forget when
// the power goes. It works the way LazyFS (the file system Jepsen runs
// databases on) does:
//
//   - a file's writes, truncations and mode changes stay in a cache of
//     its own until that file is fsynced;
//   - a directory's new, renamed and removed entries stay pending until
//     that directory is fsynced;
//   - a cut drops everything pending, and sometimes lets the last unsynced
//     write reach the disk torn: a prefix of it cut at a 512-byte sector
//     boundary (a disk writes sectors whole, but not a write whole).
//
// After a cut the disk answers EIO to everything until it is mounted
// again; a new mount starts from what was durable, so the kernel's page
// cache cannot hide the loss.
//
// Only tests import it: the kiosk and the centre never link go-fuse (a
// test of cmd/kiosk checks). A process must not serve the mount it reads
// through mmap (SQLite maps its -shm file): a page fault waits for the
// server while the Go runtime may wait for the faulting thread to stop
// the world. So tests run the file system in a child process (Child).
package cutfs

import (
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
)

// SectorSize is the size torn writes are cut at.
const SectorSize = 512

// node is a file or a directory: what the last mount's users see
// (current) and what survives a cut (durable).
type node struct {
	ino uint64
	dir bool

	data, durData []byte
	mode, durMode uint32
	dirty         bool // data or mode differ from the durable ones

	kids, durKids map[string]*node
	dirtyDir      bool // kids differ from durKids
}

// write is the last write a file took since its last fsync.
type write struct {
	n    *node
	off  int64
	data []byte
}

// Stats say what a cut dropped.
type Stats struct {
	Ops          int  `json:"ops"`            // counted operations (writes, fsyncs, creates, renames…) since the mount
	LostFiles    int  `json:"lost_files"`     // files with unsynced writes, truncations or mode changes
	LostDirs     int  `json:"lost_dirs"`      // directories with unsynced entries
	Torn         bool `json:"torn"`           // a prefix of the last unsynced write reached the disk
	TornBytes    int  `json:"torn_bytes"`     // how much of it, a multiple of SectorSize
	WriteBytes   int  `json:"write_bytes"`    // the length of that write
	AlreadyCut   bool `json:"already_cut"`    // the disk had been cut already (by Arm)
	CutByCounter bool `json:"cut_by_counter"` // Arm's count cut it
}

// Disk is the file system's state. It is safe for concurrent use.
type Disk struct {
	mu      sync.Mutex
	root    *node
	nextIno uint64
	rng     *rand.Rand
	dead    bool
	ops     int
	cutAt   int // cut before counted operation cutAt; 0: never
	last    *write
	stats   Stats
	tearP   float64
}

// New returns an empty disk whose torn writes follow seed.
func New(seed uint64) *Disk {
	// #nosec G404 -- which write tears must follow the test's seed, not be secret
	d := &Disk{nextIno: 2, rng: rand.New(rand.NewPCG(seed, 0x6375746673)), tearP: 0.5}
	d.root = &node{ino: 1, dir: true, mode: 0o755, durMode: 0o755, kids: map[string]*node{}, durKids: map[string]*node{}}
	return d
}

// SetTearProbability sets how often a cut tears the last unsynced write
// (default one in two); 0 never does.
func (d *Disk) SetTearProbability(p float64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tearP = p
}

// Arm makes the disk cut itself just before the n-th counted operation
// from now (a write, truncate, chmod, fsync, create, mkdir, unlink or
// rename), which then fails with EIO; n <= 0 disarms.
func (d *Disk) Arm(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n <= 0 {
		d.cutAt = 0
		return
	}
	d.cutAt = d.ops + n
}

// Dead reports whether the disk has been cut and not revived.
func (d *Disk) Dead() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dead
}

// Cut drops everything pending, perhaps tearing the last unsynced write,
// and makes every operation fail with EIO until Revive. Cutting a cut
// disk changes nothing and returns the first cut's stats.
func (d *Disk) Cut() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dead {
		st := d.stats
		st.AlreadyCut = true
		return st
	}
	d.cutLocked()
	return d.stats
}

func (d *Disk) cutLocked() {
	st := Stats{Ops: d.ops}
	if w := d.last; w != nil && d.rng.Float64() < d.tearP {
		k := d.rng.IntN(len(w.data)/SectorSize + 1)
		if k > 0 {
			w.n.durData = writeAt(w.n.durData, w.off, w.data[:k*SectorSize])
			st.Torn, st.TornBytes = true, k*SectorSize
		}
		st.WriteBytes = len(w.data)
	}
	walk(d.root, func(n *node) {
		if n.dirty {
			st.LostFiles++
		}
		if n.dirtyDir {
			st.LostDirs++
		}
	})
	d.dead, d.last, d.stats = true, nil, st
}

// walk visits every node reachable now or durably from root.
func walk(root *node, fn func(*node)) {
	seen := map[*node]bool{}
	var visit func(n *node)
	visit = func(n *node) {
		if seen[n] {
			return
		}
		seen[n] = true
		fn(n)
		for _, c := range n.kids {
			visit(c)
		}
		for _, c := range n.durKids {
			visit(c)
		}
	}
	visit(root)
}

// Revive puts the disk back as the cut left it: what was durable, and
// nothing pending. Call it between unmounting and mounting again.
func (d *Disk) Revive() {
	d.mu.Lock()
	defer d.mu.Unlock()
	var visit func(n *node)
	visit = func(n *node) {
		n.data, n.mode, n.dirty = slices.Clone(n.durData), n.durMode, false
		if n.dir {
			n.kids, n.dirtyDir = cloneKids(n.durKids), false
			for _, c := range n.kids {
				visit(c)
			}
		}
	}
	visit(d.root)
	d.dead, d.ops, d.cutAt, d.last, d.stats = false, 0, 0, nil, Stats{}
}

func cloneKids(m map[string]*node) map[string]*node {
	out := make(map[string]*node, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// writeAt writes p into b at off, growing b with zeros as needed.
func writeAt(b []byte, off int64, p []byte) []byte {
	if end := int(off) + len(p); end > len(b) {
		b = append(b, make([]byte, end-len(b))...)
	}
	copy(b[off:], p)
	return b
}

// count counts an operation that changes the disk and cuts the disk if
// Arm asked for it here; it returns EIO on a dead disk. d.mu is held.
func (d *Disk) count() syscall.Errno {
	if d.dead {
		return syscall.EIO
	}
	d.ops++
	if d.cutAt > 0 && d.ops >= d.cutAt {
		d.cutLocked()
		d.stats.CutByCounter = true
		return syscall.EIO
	}
	return 0
}

// alive returns EIO on a dead disk. d.mu is held.
func (d *Disk) alive() syscall.Errno {
	if d.dead {
		return syscall.EIO
	}
	return 0
}

func (d *Disk) newNode(dir bool, mode uint32) *node {
	n := &node{ino: d.nextIno, dir: dir, mode: mode, dirty: true}
	d.nextIno++
	if dir {
		n.kids, n.durKids = map[string]*node{}, map[string]*node{}
	}
	return n
}

func (d *Disk) write(n *node, p []byte, off int64) syscall.Errno {
	if errno := d.count(); errno != 0 {
		return errno
	}
	n.data = writeAt(n.data, off, p)
	n.dirty = true
	d.last = &write{n: n, off: off, data: slices.Clone(p)}
	return 0
}

func (d *Disk) truncate(n *node, size int64) syscall.Errno {
	if errno := d.count(); errno != 0 {
		return errno
	}
	if size <= int64(len(n.data)) {
		n.data = n.data[:size:size]
	} else {
		n.data = append(n.data, make([]byte, int(size)-len(n.data))...)
	}
	n.dirty = true
	return 0
}

func (d *Disk) chmod(n *node, mode uint32) syscall.Errno {
	if errno := d.count(); errno != 0 {
		return errno
	}
	n.mode, n.dirty = mode&0o7777, true
	return 0
}

// fsync makes a file's content and mode, or a directory's entries,
// durable.
func (d *Disk) fsync(n *node) syscall.Errno {
	if errno := d.count(); errno != 0 {
		return errno
	}
	if n.dir {
		n.durKids, n.dirtyDir = cloneKids(n.kids), false
		return 0
	}
	n.durData, n.durMode, n.dirty = slices.Clone(n.data), n.mode, false
	if d.last != nil && d.last.n == n {
		d.last = nil
	}
	return 0
}

func (d *Disk) link(parent *node, name string, n *node) syscall.Errno {
	if errno := d.count(); errno != 0 {
		return errno
	}
	parent.kids[name] = n
	parent.dirtyDir = true
	return 0
}

func (d *Disk) unlink(parent *node, name string, wantDir bool) syscall.Errno {
	if errno := d.count(); errno != 0 {
		return errno
	}
	n, ok := parent.kids[name]
	switch {
	case !ok:
		return syscall.ENOENT
	case wantDir && !n.dir:
		return syscall.ENOTDIR
	case !wantDir && n.dir:
		return syscall.EISDIR
	case wantDir && len(n.kids) > 0:
		return syscall.ENOTEMPTY
	}
	delete(parent.kids, name)
	parent.dirtyDir = true
	return 0
}

// renameNoReplace is RENAME_NOREPLACE from linux/fs.h.
const renameNoReplace = 1

func (d *Disk) rename(from *node, name string, to *node, newName string, flags uint32) syscall.Errno {
	if errno := d.count(); errno != 0 {
		return errno
	}
	n, ok := from.kids[name]
	if !ok {
		return syscall.ENOENT
	}
	if flags&^renameNoReplace != 0 {
		return syscall.EINVAL
	}
	if old, ok := to.kids[newName]; ok {
		switch {
		case flags&renameNoReplace != 0:
			return syscall.EEXIST
		case old.dir && !n.dir:
			return syscall.EISDIR
		case !old.dir && n.dir:
			return syscall.ENOTDIR
		case old.dir && len(old.kids) > 0:
			return syscall.ENOTEMPTY
		}
	}
	delete(from.kids, name)
	to.kids[newName] = n
	from.dirtyDir, to.dirtyDir = true, true
	return 0
}
