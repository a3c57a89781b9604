package centre

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"lobbyline/queue"
)

// The watch-list at the centre stays in plain text: the centre is its
// source of truth and screens every check-in it receives against it. What
// kiosks get instead (issue 13 §2) is a companion record per entry,
// queue.EntitySealedWatch: a slow keyed hash of the name and the entry
// encrypted under a key derived from it. Every write of an entry writes
// its companion in the same transaction; the plain entry itself never
// leaves the centre (see forKiosk).
//
// A rolling upgrade: a kiosk of an earlier release screens with the plain
// list only, and this centre sends it none, so until it is upgraded it
// screens offline against nothing new (it keeps what it pulled before).
// The centre still screens each of its check-ins as it arrives and alerts
// its staff. Sending such kiosks the plain list would defeat the point.

// watchKeys are a site's, derived from its secret: the salt kiosks hash
// names with (public), and the key that names sealed entries, so a
// sealed entry's key says nothing about the person, as the plain entry's
// key (a fast hash of name, date of birth and ID card) would.
type watchKeys struct {
	salt    []byte
	nameKey []byte
}

func (s *Service) watchKeys(ctx context.Context, site string) (watchKeys, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return watchKeys{}, err
	}
	secret, err := s.store.WatchSecret(ctx, site, hex.EncodeToString(fresh))
	if err != nil {
		return watchKeys{}, fmt.Errorf("site %q: watch-list secret: %w", site, err)
	}
	raw, err := hex.DecodeString(secret)
	if err != nil || len(raw) < 16 {
		return watchKeys{}, fmt.Errorf("site %q: watch-list secret is not hex", site)
	}
	return watchKeys{salt: mac(raw, "lobbyline watch-list salt")[:16], nameKey: mac(raw, "lobbyline watch-list record key")}, nil
}

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// sealedKey is the key of the sealed companion of the entry with key.
func (k watchKeys) sealedKey(key string) string { return hex.EncodeToString(mac(k.nameKey, key)[:16]) }

// seal returns the companion write of a write to the plain watch-list.
func (k watchKeys) seal(w RecordWrite) (RecordWrite, error) {
	out := RecordWrite{Entity: queue.EntitySealedWatch, Key: k.sealedKey(w.Key), Delete: w.Delete}
	if w.Delete {
		return out, nil
	}
	raw, ok := w.Data.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(w.Data); err != nil {
			return RecordWrite{}, fmt.Errorf("watch-list entry %s: %w", w.Key, err)
		}
	}
	var entry queue.WatchEntry
	if err := json.Unmarshal(raw, &entry); err != nil {
		return RecordWrite{}, fmt.Errorf("watch-list entry %s: %w", w.Key, err)
	}
	sw, err := queue.SealWatch(entry, k.salt, queue.DefaultWatchParams)
	if err != nil {
		return RecordWrite{}, fmt.Errorf("watch-list entry %s: %w", w.Key, err)
	}
	out.Data = sw
	return out, nil
}

// withSealed adds to writes the sealed companion of each watch-list
// write. It hashes before any transaction opens: argon2id is slow on
// purpose, and the site's pushes wait while its row is held.
func (s *Service) withSealed(ctx context.Context, site string, writes []RecordWrite) ([]RecordWrite, error) {
	if !slices.ContainsFunc(writes, func(w RecordWrite) bool { return w.Entity == queue.EntityWatch }) {
		return writes, nil
	}
	k, err := s.watchKeys(ctx, site)
	if err != nil {
		return nil, err
	}
	var plain []RecordWrite
	for _, w := range writes {
		if w.Entity == queue.EntityWatch {
			plain = append(plain, w)
		}
	}
	sealed, err := k.sealAll(plain)
	if err != nil {
		return nil, err
	}
	return append(slices.Clip(writes), sealed...), nil
}

// sealAll seals writes on every core, one argon2id each (19 MiB apiece):
// a list of a thousand entries takes seconds rather than half a minute.
func (k watchKeys) sealAll(writes []RecordWrite) ([]RecordWrite, error) {
	out := make([]RecordWrite, len(writes))
	errs := make([]error, len(writes))
	turns := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, w := range writes {
		turns <- struct{}{}
		wg.Go(func() {
			defer func() { <-turns }()
			out[i], errs[i] = k.seal(w)
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// SealWatchLists writes the sealed companion of every watch-list entry
// that has none, or an older one than the entry (written by a centre of
// an earlier release), and removes companions whose entry is gone; it
// returns how many it wrote. The centre runs it as it starts.
func (s *Service) SealWatchLists(ctx context.Context) (int, error) {
	sites, err := s.store.Sites(ctx)
	if err != nil {
		return 0, fmt.Errorf("seal watch-lists: %w", err)
	}
	n := 0
	for _, site := range sites {
		m, err := s.sealSite(ctx, site.ID)
		if err != nil {
			return n, fmt.Errorf("seal watch-list of %s: %w", site.ID, err)
		}
		n += m
	}
	return n, nil
}

func (s *Service) sealSite(ctx context.Context, site string) (int, error) {
	due, k, err := companionsDue(ctx, s.store, site, func() (watchKeys, error) { return s.watchKeys(ctx, site) })
	if err != nil || len(due) == 0 {
		return 0, err
	}
	// What is written is looked up by sealed key and the data it was
	// sealed from.
	ready := make(map[string]RecordWrite, len(due))
	var toSeal []companion
	var plain []RecordWrite
	for _, c := range due {
		if c.plain == nil {
			ready[c.key+"\x00"] = RecordWrite{Entity: queue.EntitySealedWatch, Key: c.key, Delete: true}
			continue
		}
		toSeal = append(toSeal, c)
		plain = append(plain, RecordWrite{Entity: queue.EntityWatch, Key: c.plainKey, Data: c.plain})
	}
	sealed, err := k.sealAll(plain)
	if err != nil {
		return 0, err
	}
	for i, w := range sealed {
		ready[toSeal[i].key+"\x00"+string(toSeal[i].plain)] = w
	}
	// An import may have committed since: with the site's row held, write
	// only what is still due, sealed from what is still there.
	var n int
	err = s.store.Update(ctx, func(tx Ops) error {
		if _, err := tx.LockSite(ctx, site); err != nil {
			return err
		}
		due, _, err := companionsDue(ctx, tx, site, func() (watchKeys, error) { return k, nil })
		if err != nil {
			return err
		}
		var writes []RecordWrite
		for _, c := range due {
			if w, ok := ready[c.key+"\x00"+string(c.plain)]; ok {
				writes = append(writes, w)
			}
		}
		n = len(writes)
		_, err = s.writeRecords(ctx, tx, site, writes)
		return err
	})
	return n, err
}

// companion is a sealed entry that is due: missing or older than its
// plain entry (plain is its data), or left without one (plain is nil).
type companion struct {
	key      string // the sealed entry's
	plainKey string
	plain    json.RawMessage
}

// companionsDue compares a site's plain watch-list with its sealed one.
// It asks for the site's keys only if there is a list, and returns them.
func companionsDue(ctx context.Context, tx Ops, site string, keys func() (watchKeys, error)) ([]companion, watchKeys, error) {
	plain, err := tx.Records(ctx, site, queue.EntityWatch)
	if err != nil {
		return nil, watchKeys{}, err
	}
	sealed, err := tx.Records(ctx, site, queue.EntitySealedWatch)
	if err != nil || len(plain) == 0 && len(sealed) == 0 {
		return nil, watchKeys{}, err
	}
	k, err := keys()
	if err != nil {
		return nil, watchKeys{}, err
	}
	version := make(map[string]int64, len(sealed))
	for _, r := range sealed {
		version[r.Key] = r.Version
	}
	var due []companion
	for _, r := range plain {
		key := k.sealedKey(r.Key)
		if v, ok := version[key]; !ok || v < r.Version {
			due = append(due, companion{key: key, plainKey: r.Key, plain: r.Data})
		}
		delete(version, key)
	}
	for key := range version {
		due = append(due, companion{key: key})
	}
	return due, k, nil
}
