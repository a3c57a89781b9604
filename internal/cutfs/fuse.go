package cutfs

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// fnode is a node as go-fuse sees it. File locks are left to the kernel
// (no EnableLocks): one machine, and a cut ends every lock anyway.
type fnode struct {
	fs.Inode
	d *Disk
	n *node
}

var (
	_ fs.NodeLookuper  = (*fnode)(nil)
	_ fs.NodeGetattrer = (*fnode)(nil)
	_ fs.NodeSetattrer = (*fnode)(nil)
	_ fs.NodeOpener    = (*fnode)(nil)
	_ fs.NodeCreater   = (*fnode)(nil)
	_ fs.NodeReader    = (*fnode)(nil)
	_ fs.NodeWriter    = (*fnode)(nil)
	_ fs.NodeFsyncer   = (*fnode)(nil)
	_ fs.NodeMkdirer   = (*fnode)(nil)
	_ fs.NodeUnlinker  = (*fnode)(nil)
	_ fs.NodeRmdirer   = (*fnode)(nil)
	_ fs.NodeRenamer   = (*fnode)(nil)
	_ fs.NodeReaddirer = (*fnode)(nil)
	_ fs.NodeStatfser  = (*fnode)(nil)
	_ fs.NodeLinker    = (*fnode)(nil)
)

// attrTimeout is how long the kernel may trust what it was told: it
// makes every change itself, through this file system, so it is never
// wrong, and a cut ends the mount.
var attrTimeout = time.Second

// Mount mounts d at dir (as root, with mount(2) itself: no fusermount)
// and serves it until the returned server is unmounted.
func Mount(dir string, d *Disk) (*fuse.Server, error) {
	root := &fnode{d: d, n: d.root}
	srv, err := fs.Mount(dir, root, &fs.Options{
		MountOptions: fuse.MountOptions{
			DirectMount:   true,
			FsName:        "cutfs",
			Name:          "cutfs",
			DisableXAttrs: true,
		},
		EntryTimeout: &attrTimeout,
		AttrTimeout:  &attrTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("mount cutfs on %s: %w", dir, err)
	}
	return srv, nil
}

// maxFileSize bounds a file held in memory.
const maxFileSize = 1 << 32

func (f *fnode) fill(out *fuse.Attr) {
	out.Ino = f.n.ino
	out.Nlink = 1
	if f.n.dir {
		out.Mode = syscall.S_IFDIR | f.n.mode
		out.Nlink = 2
		out.Size = 4096
	} else {
		out.Mode = syscall.S_IFREG | f.n.mode
		out.Size = uint64(len(f.n.data))
	}
	out.Blocks = (out.Size + 511) / 512
	out.Blksize = 4096
}

func (f *fnode) child(ctx context.Context, n *node) *fs.Inode {
	mode := uint32(syscall.S_IFREG)
	if n.dir {
		mode = syscall.S_IFDIR
	}
	return f.NewInode(ctx, &fnode{d: f.d, n: n}, fs.StableAttr{Mode: mode, Ino: n.ino})
}

func (f *fnode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if errno := f.d.alive(); errno != 0 {
		return nil, errno
	}
	n, ok := f.n.kids[name]
	if !ok {
		return nil, syscall.ENOENT
	}
	c := f.child(ctx, n)
	(&fnode{d: f.d, n: n}).fill(&out.Attr)
	return c, 0
}

func (f *fnode) Getattr(ctx context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if errno := f.d.alive(); errno != 0 {
		return errno
	}
	f.fill(&out.Attr)
	return 0
}

func (f *fnode) Setattr(ctx context.Context, _ fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if errno := f.d.alive(); errno != 0 {
		return errno
	}
	if size, ok := in.GetSize(); ok {
		if f.n.dir {
			return syscall.EISDIR
		}
		if size > maxFileSize {
			return syscall.EFBIG
		}
		// #nosec G115 -- size is at most maxFileSize
		if errno := f.d.truncate(f.n, int64(size)); errno != 0 {
			return errno
		}
	}
	if mode, ok := in.GetMode(); ok {
		if errno := f.d.chmod(f.n, mode); errno != 0 {
			return errno
		}
	}
	f.fill(&out.Attr)
	return 0
}

func (f *fnode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if errno := f.d.alive(); errno != 0 {
		return nil, 0, errno
	}
	if flags&syscall.O_TRUNC != 0 && len(f.n.data) > 0 {
		if errno := f.d.truncate(f.n, 0); errno != 0 {
			return nil, 0, errno
		}
	}
	return nil, 0, 0
}

func (f *fnode) Create(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	n, ok := f.n.kids[name]
	if !ok {
		n = f.d.newNode(false, mode&0o7777)
		if errno := f.d.link(f.n, name, n); errno != 0 {
			return nil, nil, 0, errno
		}
	} else if errno := f.d.alive(); errno != 0 {
		return nil, nil, 0, errno
	}
	c := f.child(ctx, n)
	(&fnode{d: f.d, n: n}).fill(&out.Attr)
	return c, nil, 0, 0
}

func (f *fnode) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if _, ok := f.n.kids[name]; ok {
		return nil, syscall.EEXIST
	}
	n := f.d.newNode(true, mode&0o7777)
	if errno := f.d.link(f.n, name, n); errno != 0 {
		return nil, errno
	}
	c := f.child(ctx, n)
	(&fnode{d: f.d, n: n}).fill(&out.Attr)
	return c, 0
}

func (f *fnode) Read(ctx context.Context, _ fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if errno := f.d.alive(); errno != 0 {
		return nil, errno
	}
	if off >= int64(len(f.n.data)) {
		return fuse.ReadResultData(nil), 0
	}
	end := min(off+int64(len(dest)), int64(len(f.n.data)))
	// Copied: the result is sent after the lock is released.
	return fuse.ReadResultData(append([]byte(nil), f.n.data[off:end]...)), 0
}

func (f *fnode) Write(ctx context.Context, _ fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	if off < 0 || off+int64(len(data)) > maxFileSize {
		return 0, syscall.EFBIG
	}
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if errno := f.d.write(f.n, data, off); errno != 0 {
		return 0, errno
	}
	return uint32(len(data)), 0 // #nosec G115 -- a FUSE write is at most MaxWrite bytes
}

func (f *fnode) Fsync(ctx context.Context, _ fs.FileHandle, flags uint32) syscall.Errno {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	return f.d.fsync(f.n)
}

func (f *fnode) Unlink(ctx context.Context, name string) syscall.Errno {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	return f.d.unlink(f.n, name, false)
}

func (f *fnode) Rmdir(ctx context.Context, name string) syscall.Errno {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	return f.d.unlink(f.n, name, true)
}

func (f *fnode) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	to, ok := newParent.(*fnode)
	if !ok {
		return syscall.EXDEV
	}
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	return f.d.rename(f.n, name, to.n, newName, flags)
}

func (f *fnode) Link(ctx context.Context, target fs.InodeEmbedder, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	t, ok := target.(*fnode)
	if !ok {
		return nil, syscall.EXDEV
	}
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if _, ok := f.n.kids[name]; ok {
		return nil, syscall.EEXIST
	}
	if t.n.dir {
		return nil, syscall.EPERM
	}
	if errno := f.d.link(f.n, name, t.n); errno != 0 {
		return nil, errno
	}
	t.fill(&out.Attr)
	return f.child(ctx, t.n), 0
}

func (f *fnode) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if errno := f.d.alive(); errno != 0 {
		return nil, errno
	}
	list := make([]fuse.DirEntry, 0, len(f.n.kids))
	for name, n := range f.n.kids {
		mode := uint32(syscall.S_IFREG)
		if n.dir {
			mode = syscall.S_IFDIR
		}
		list = append(list, fuse.DirEntry{Name: name, Ino: n.ino, Mode: mode})
	}
	return fs.NewListDirStream(list), 0
}

func (f *fnode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	// A roomy, empty disk: the kiosk's outage monitor reads free space.
	out.Bsize, out.Frsize = 4096, 4096
	out.Blocks, out.Bfree, out.Bavail = 1<<20, 1<<20, 1<<20
	out.Files, out.Ffree = 1<<20, 1<<20
	out.NameLen = 255
	return 0
}
