package queue

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Watch-list entries reach kiosks sealed (issue 13 §2): a kiosk holds, for
// each entry, a slow keyed hash of the person's normalised name (the tag)
// and the entry itself encrypted under a key derived from the same name.
// Screening a check-in costs one hash and one lookup; a stolen kiosk disk
// shows no name, and finding the names on the list takes a dictionary
// attack that pays one argon2id per guessed name (per site: each site has
// its own salt). It is not impossible: a list of likely names can be tried.

// WatchParams are argon2id's cost parameters, stated in each sealed entry
// so a kiosk hashes with what the entry was sealed with.
type WatchParams struct {
	Time    uint32 `json:"t"` // passes over memory
	Memory  uint32 `json:"m"` // KiB
	Threads uint8  `json:"p"`
}

// DefaultWatchParams is what the centre seals with: OWASP's second
// argon2id setting (19 MiB, 2 passes, 1 lane). BENCHMARKS.md has what one
// check-in's hash costs; a kiosk pays it once per check-in, an attacker
// once per guessed name.
var DefaultWatchParams = WatchParams{Time: 2, Memory: 19 * 1024, Threads: 1}

// Bounds a sealed entry's parameters must keep, so that a garbled record
// cannot make a kiosk allocate gigabytes or spin for minutes, nor one
// with a trivial cost slip through.
const (
	minWatchMemory  = 8 * 1024   // KiB
	maxWatchMemory  = 256 * 1024 // KiB
	maxWatchTime    = 10
	maxWatchThreads = 8
	minWatchSalt    = 16
	maxWatchSalt    = 64
	maxWatchBox     = 4096 // an entry's name, note and the rest are far smaller
	watchTagSize    = 32
	sealedWatchV1   = 1
)

// SealedWatch is one watch-list entry as a kiosk holds it. Nothing in it
// names the person: Tag is a keyed hash of the normalised name, Box the
// entry (name, date of birth, ID card, action, note) encrypted with
// XChaCha20-Poly1305 under a key derived from the same name. The action
// is inside too: before a match nothing says whether an entry blocks or
// flags.
type SealedWatch struct {
	Version int    `json:"v"`
	Salt    []byte `json:"salt"` // the site's, not secret
	WatchParams
	Tag []byte `json:"tag"`
	Box []byte `json:"box"` // nonce, then ciphertext and its authenticator
}

// ErrSealedWatch marks a sealed watch-list entry that cannot be used.
var ErrSealedWatch = errors.New("queue: unusable sealed watch-list entry")

// WatchSecret is what one argon2id run over a normalised name gives: the
// tag a kiosk looks entries up by, and the key that opens them. The key
// is not derivable from the tag: both are expanded from the argon2id
// output, which is never stored.
type WatchSecret struct {
	Tag []byte
	key []byte
}

// DeriveWatch runs argon2id once over the normalised name (NormalizeName,
// the same folding the centre's screening uses) with the site's salt.
func DeriveWatch(name string, salt []byte, p WatchParams) WatchSecret {
	out := argon2.IDKey([]byte(NormalizeName(name)), salt, p.Time, p.Memory, p.Threads, 32)
	return WatchSecret{Tag: expand(out, "lobbyline watch-list tag v1"), key: expand(out, "lobbyline watch-list key v1")}
}

func expand(prk []byte, info string) []byte {
	b, err := hkdf.Expand(sha256.New, prk, info, 32)
	if err != nil {
		panic(err) // 32 bytes of SHA-256 output cannot be too long
	}
	return b
}

// SealWatch seals an entry with the site's salt and parameters.
func SealWatch(w WatchEntry, salt []byte, p WatchParams) (SealedWatch, error) {
	sw := SealedWatch{Version: sealedWatchV1, Salt: salt, WatchParams: p}
	if err := sw.check(); err != nil {
		return SealedWatch{}, err
	}
	sec := DeriveWatch(w.Name, salt, p)
	plain, err := json.Marshal(w)
	if err != nil {
		return SealedWatch{}, err
	}
	aead, err := chacha20poly1305.NewX(sec.key)
	if err != nil {
		return SealedWatch{}, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return SealedWatch{}, err
	}
	sw.Tag = sec.Tag
	sw.Box = aead.Seal(nonce, nonce, plain, sw.Tag)
	if len(sw.Box) > maxWatchBox {
		return SealedWatch{}, fmt.Errorf("watch-list entry %q is too long to seal", w.Name)
	}
	return sw, nil
}

// ParseSealedWatch decodes a sealed entry as pulled and checks that a
// kiosk can use it: the version it knows, parameters within bounds, a
// tag and a box of plausible sizes.
func ParseSealedWatch(data []byte) (SealedWatch, error) {
	var sw SealedWatch
	if err := json.Unmarshal(data, &sw); err != nil {
		return SealedWatch{}, fmt.Errorf("%w: %v", ErrSealedWatch, err)
	}
	if err := sw.check(); err != nil {
		return SealedWatch{}, err
	}
	if len(sw.Tag) != watchTagSize {
		return SealedWatch{}, fmt.Errorf("%w: tag of %d bytes", ErrSealedWatch, len(sw.Tag))
	}
	if len(sw.Box) < chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead || len(sw.Box) > maxWatchBox {
		return SealedWatch{}, fmt.Errorf("%w: box of %d bytes", ErrSealedWatch, len(sw.Box))
	}
	return sw, nil
}

func (sw SealedWatch) check() error {
	switch {
	case sw.Version != sealedWatchV1:
		return fmt.Errorf("%w: version %d", ErrSealedWatch, sw.Version)
	case len(sw.Salt) < minWatchSalt || len(sw.Salt) > maxWatchSalt:
		return fmt.Errorf("%w: salt of %d bytes", ErrSealedWatch, len(sw.Salt))
	case sw.Time < 1 || sw.Time > maxWatchTime, sw.Memory < minWatchMemory || sw.Memory > maxWatchMemory,
		sw.Threads < 1 || sw.Threads > maxWatchThreads:
		return fmt.Errorf("%w: argon2id parameters t=%d m=%d p=%d out of bounds", ErrSealedWatch, sw.Time, sw.Memory, sw.Threads)
	}
	return nil
}

// Open returns the entry if sec, derived from a check-in's name with this
// entry's salt and parameters, is the one it was sealed for.
func (sw SealedWatch) Open(sec WatchSecret) (WatchEntry, bool) {
	if subtle.ConstantTimeCompare(sw.Tag, sec.Tag) != 1 || len(sw.Box) < chacha20poly1305.NonceSizeX {
		return WatchEntry{}, false
	}
	aead, err := chacha20poly1305.NewX(sec.key)
	if err != nil {
		return WatchEntry{}, false
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, sw.Box[:n], sw.Box[n:], sw.Tag)
	if err != nil {
		return WatchEntry{}, false
	}
	var w WatchEntry
	if json.Unmarshal(plain, &w) != nil {
		return WatchEntry{}, false
	}
	return w, true
}
