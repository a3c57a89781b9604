package main

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// xwdHeaderFields is the number of big-endian uint32 fields in an XWD
// version 7 header (X11's XWDFile.h); the window name follows them and
// header_size counts it.
const xwdHeaderFields = 25

// xwdColorSize is one colormap entry: pixel uint32, red, green, blue uint16,
// flags and a pad byte.
const xwdColorSize = 12

const (
	xwdVersion = 7
	zPixmap    = 2
	msbFirst   = 1
)

// xwdImage is the part of an XWD dump that says whether anything was drawn.
type xwdImage struct {
	Width, Height uint32
	BitsPerPixel  uint32
	BytesPerLine  uint32
	MSBFirst      bool   // pixel byte order
	Mask          uint32 // red|green|blue masks; 0 means all bits count
	Pixels        []byte // Height rows of BytesPerLine bytes
}

// parseXWD reads the header of an `xwd -root` dump and slices out its pixel
// data. Only Z-pixmap images with 8, 16, 24 or 32 bits per pixel are
// accepted; that is what Xvfb's TrueColor screens produce.
func parseXWD(b []byte) (xwdImage, error) {
	if len(b) < xwdHeaderFields*4 {
		return xwdImage{}, fmt.Errorf("xwd: %d bytes is shorter than a header", len(b))
	}
	var f [xwdHeaderFields]uint32
	for i := range f {
		f[i] = binary.BigEndian.Uint32(b[i*4:])
	}
	headerSize, version, format := f[0], f[1], f[2]
	img := xwdImage{
		Width: f[4], Height: f[5],
		MSBFirst:     f[7] == msbFirst,
		BitsPerPixel: f[11], BytesPerLine: f[12],
		Mask: f[14] | f[15] | f[16],
	}
	ncolors := f[19]
	switch {
	case version != xwdVersion:
		return xwdImage{}, fmt.Errorf("xwd: file version %d, want %d", version, xwdVersion)
	case format != zPixmap:
		return xwdImage{}, fmt.Errorf("xwd: pixmap format %d, want Z-pixmap (%d)", format, zPixmap)
	case img.BitsPerPixel != 8 && img.BitsPerPixel != 16 && img.BitsPerPixel != 24 && img.BitsPerPixel != 32:
		return xwdImage{}, fmt.Errorf("xwd: %d bits per pixel is not supported", img.BitsPerPixel)
	case headerSize < xwdHeaderFields*4:
		return xwdImage{}, fmt.Errorf("xwd: header size %d is smaller than its fields", headerSize)
	case uint64(img.BytesPerLine)*8 < uint64(img.Width)*uint64(img.BitsPerPixel):
		return xwdImage{}, fmt.Errorf("xwd: %d bytes per line cannot hold %d pixels", img.BytesPerLine, img.Width)
	}
	// 64-bit arithmetic: the fields come from a file and may be hostile.
	start := uint64(headerSize) + uint64(ncolors)*xwdColorSize
	end := start + uint64(img.Height)*uint64(img.BytesPerLine)
	if end > uint64(len(b)) {
		return xwdImage{}, fmt.Errorf("xwd: %dx%d image needs %d bytes, file has %d", img.Width, img.Height, end, len(b))
	}
	img.Pixels = b[start:end]
	return img, nil
}

// errNoPixels is returned by uniform for a 0×0 image.
var errNoPixels = errors.New("xwd: image has no pixels")

// uniform reports whether every pixel of img has the same colour. Bits
// outside the colour masks (the pad byte of a 32-bit pixel) and the padding
// at the end of each row are ignored.
func (img xwdImage) uniform() (bool, error) {
	if img.Width == 0 || img.Height == 0 {
		return false, errNoPixels
	}
	bpp := int(img.BitsPerPixel / 8)
	mask := img.Mask
	if mask == 0 {
		mask = ^uint32(0)
	}
	first := img.pixel(img.Pixels, bpp) & mask
	rowLen := int(img.Width) * bpp
	for y := range int(img.Height) {
		row := img.Pixels[y*int(img.BytesPerLine):][:rowLen]
		for x := 0; x < rowLen; x += bpp {
			if img.pixel(row[x:], bpp)&mask != first {
				return false, nil
			}
		}
	}
	return true, nil
}

// pixel reads one pixel value of bpp bytes in the image's byte order.
func (img xwdImage) pixel(b []byte, bpp int) uint32 {
	var v uint32
	for i := range bpp {
		if img.MSBFirst {
			v = v<<8 | uint32(b[i])
		} else {
			v |= uint32(b[i]) << (8 * i)
		}
	}
	return v
}
