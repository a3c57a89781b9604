package main

import (
	"encoding/binary"
	"os"
	"strings"
	"testing"
)

// xwdSpec describes a synthetic dump; zero fields take the values of a
// 24-bit Xvfb screen.
type xwdSpec struct {
	version, format uint32
	width, height   uint32
	bpp             uint32
	bytesPerLine    uint32 // 0: width*bpp/8
	msb             bool
	masks           [3]uint32
	ncolors         uint32
	name            string // window name, counted in header_size
	pixel           func(x, y uint32) uint32
	rowPad          byte // value of the bytes after the last pixel of a row
	truncate        int  // bytes cut from the end
}

// makeXWD writes the dump that xwd would for s.
func makeXWD(s xwdSpec) []byte {
	if s.version == 0 {
		s.version = xwdVersion
	}
	if s.format == 0 {
		s.format = zPixmap
	}
	if s.bpp == 0 {
		s.bpp = 32
	}
	if s.bytesPerLine == 0 {
		s.bytesPerLine = s.width * s.bpp / 8
	}
	if s.masks == [3]uint32{} {
		s.masks = [3]uint32{0xff0000, 0xff00, 0xff}
	}
	if s.pixel == nil {
		s.pixel = func(x, y uint32) uint32 { return 0 }
	}
	name := s.name + "\x00"
	var byteOrder uint32
	if s.msb {
		byteOrder = msbFirst
	}
	f := [xwdHeaderFields]uint32{
		uint32(xwdHeaderFields*4 + len(name)), s.version, s.format, 24, s.width, s.height, 0, byteOrder,
		32, byteOrder, 32, s.bpp, s.bytesPerLine, 4, s.masks[0], s.masks[1], s.masks[2], 8,
		s.ncolors, s.ncolors, s.width, s.height, 0, 0, 0,
	}
	var b []byte
	for _, v := range f {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	b = append(b, name...)
	for i := range s.ncolors {
		// A colour entry made of 0xff bytes: were it read as pixels, the
		// image would not be uniform.
		b = binary.BigEndian.AppendUint32(b, i)
		b = append(b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0)
	}
	bpp := s.bpp / 8
	for y := range s.height {
		// Room for every pixel even when the header lies about the line
		// length; only bytesPerLine bytes are written.
		row := make([]byte, max(s.bytesPerLine, s.width*bpp))
		for i := range row {
			row[i] = s.rowPad
		}
		for x := range s.width {
			v := s.pixel(x, y)
			for i := range bpp {
				if s.msb {
					row[x*bpp+i] = byte(v >> (8 * (bpp - 1 - i)))
				} else {
					row[x*bpp+i] = byte(v >> (8 * i))
				}
			}
		}
		b = append(b, row[:s.bytesPerLine]...)
	}
	return b[:len(b)-s.truncate]
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// xwdCases doubles as the fuzz corpus. blank is the expected result of
// uniform; err, when set, is part of the expected error from parseXWD.
func xwdCases(t testing.TB) []struct {
	name  string
	data  []byte
	blank bool
	err   string
} {
	one := func(px, py, v uint32) func(x, y uint32) uint32 {
		return func(x, y uint32) uint32 {
			if x == px && y == py {
				return v
			}
			return 0x00f3f6f5
		}
	}
	return []struct {
		name  string
		data  []byte
		blank bool
		err   string
	}{
		// Real dumps of a 64×48 Xvfb root window: black, the -retro weave,
		// and a 16-bit white one with a 64-entry colormap.
		{name: "xvfb black root", data: readTestdata(t, "black32.xwd"), blank: true},
		{name: "xvfb retro weave", data: readTestdata(t, "retro32.xwd"), blank: false},
		{name: "xvfb 16-bit white root", data: readTestdata(t, "white16.xwd"), blank: true},

		{name: "background only", data: makeXWD(xwdSpec{width: 8, height: 4, pixel: one(9, 9, 0)}), blank: true},
		{name: "one pixel drawn", data: makeXWD(xwdSpec{width: 8, height: 4, pixel: one(7, 3, 0x001c2b2a)}), blank: false},
		{name: "first pixel differs", data: makeXWD(xwdSpec{width: 8, height: 4, pixel: one(0, 0, 0)}), blank: false},
		{name: "pad byte ignored", data: makeXWD(xwdSpec{width: 8, height: 4, pixel: func(x, y uint32) uint32 {
			return (x*y)<<24 | 0x00f3f6f5
		}}), blank: true},
		{name: "row padding ignored", data: makeXWD(xwdSpec{width: 5, height: 3, bytesPerLine: 32, rowPad: 0xee}), blank: true},
		{name: "colormap and name skipped", data: makeXWD(xwdSpec{width: 4, height: 4, ncolors: 256, name: "xwdump"}), blank: true},
		{name: "16-bit MSB drawn", data: makeXWD(xwdSpec{width: 6, height: 2, bpp: 16, msb: true,
			masks: [3]uint32{0xf800, 0x07e0, 0x001f}, pixel: one(5, 1, 0x0800)}), blank: false},
		{name: "16-bit MSB blank", data: makeXWD(xwdSpec{width: 6, height: 2, bpp: 16, msb: true,
			masks: [3]uint32{0xf800, 0x07e0, 0x001f}, pixel: func(x, y uint32) uint32 { return 0xffff }}), blank: true},
		{name: "24-bit packed drawn", data: makeXWD(xwdSpec{width: 3, height: 3, bpp: 24, pixel: one(1, 1, 0xff)}), blank: false},
		{name: "8-bit no masks drawn", data: makeXWD(xwdSpec{width: 4, height: 1, bpp: 8, masks: [3]uint32{}, pixel: one(2, 0, 1)}), blank: false},

		{name: "empty", data: nil, err: "shorter than a header"},
		{name: "header only", data: makeXWD(xwdSpec{width: 2, height: 2})[:100], err: "needs 117 bytes"},
		{name: "truncated pixels", data: makeXWD(xwdSpec{width: 8, height: 4, truncate: 1}), err: "needs"},
		{name: "version 6", data: makeXWD(xwdSpec{version: 6, width: 2, height: 2}), err: "file version 6"},
		{name: "XY pixmap", data: makeXWD(xwdSpec{format: 1, width: 2, height: 2}), err: "pixmap format 1"},
		{name: "1 bit per pixel", data: makeXWD(xwdSpec{bpp: 1, width: 8, height: 2, bytesPerLine: 1}), err: "1 bits per pixel"},
		{name: "short lines", data: makeXWD(xwdSpec{width: 8, height: 2, bytesPerLine: 31}), err: "cannot hold"},
		{name: "huge colormap", data: func() []byte {
			b := makeXWD(xwdSpec{width: 2, height: 2})
			binary.BigEndian.PutUint32(b[19*4:], 0xffffffff)
			return b
		}(), err: "needs"},
		{name: "header size too small", data: func() []byte {
			b := makeXWD(xwdSpec{width: 2, height: 2})
			binary.BigEndian.PutUint32(b, 4)
			return b
		}(), err: "header size 4"},
		{name: "no pixels", data: makeXWD(xwdSpec{width: 0, height: 0}), err: ""},
	}
}

func TestParseXWD(t *testing.T) {
	for _, c := range xwdCases(t) {
		t.Run(c.name, func(t *testing.T) {
			img, err := parseXWD(c.data)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("parseXWD: got %v, want an error containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseXWD: %v", err)
			}
			blank, err := img.uniform()
			if img.Width == 0 {
				if err != errNoPixels {
					t.Fatalf("uniform of a 0×0 image: got %v, want errNoPixels", err)
				}
				return
			}
			if err != nil || blank != c.blank {
				t.Fatalf("uniform: got %v, %v; want %v", blank, err, c.blank)
			}
		})
	}
}

func TestParseXWDReadsRealHeader(t *testing.T) {
	img, err := parseXWD(readTestdata(t, "white16.xwd"))
	if err != nil {
		t.Fatal(err)
	}
	if img.Width != 64 || img.Height != 48 || img.BitsPerPixel != 16 || img.BytesPerLine != 128 ||
		img.Mask != 0xffff || len(img.Pixels) != 48*128 {
		t.Fatalf("header read as %+v (%d pixel bytes)", img, len(img.Pixels))
	}
}

// FuzzParseXWD checks that no input makes the parser or uniform panic.
func FuzzParseXWD(f *testing.F) {
	for _, c := range xwdCases(f) {
		f.Add(c.data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := parseXWD(b)
		if err != nil {
			return
		}
		_, _ = img.uniform()
	})
}
