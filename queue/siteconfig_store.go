package queue

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"lobbyline/queue/sqldb"
)

// layout is one set of services and desks, never changed once built:
// ApplySiteConfig builds a new one and swaps it in whole, so a reader sees
// either the old set or the new, never half of each.
type layout struct {
	version  int64           // the centre's configuration version; 0: the kiosk file's
	settings json.RawMessage // the version's other sections, for the kiosk to read (SiteSettings)
	services map[string]Service
	order    []string // service IDs in config order
	desks    map[string]Desk
	deskIDs  []string
}

func newLayout(version int64, services []Service, desks []Desk, settings json.RawMessage) *layout {
	l := &layout{version: version, settings: settings, services: make(map[string]Service, len(services)), desks: make(map[string]Desk, len(desks))}
	for _, svc := range services {
		l.services[svc.ID] = svc
		l.order = append(l.order, svc.ID)
	}
	for _, d := range desks {
		l.desks[d.ID] = d
		l.deskIDs = append(l.deskIDs, d.ID)
	}
	return l
}

func (l *layout) Services() []Service {
	out := make([]Service, 0, len(l.order))
	for _, id := range l.order {
		out = append(out, l.services[id])
	}
	return out
}

func (l *layout) Desks() []Desk {
	out := make([]Desk, 0, len(l.deskIDs))
	for _, id := range l.deskIDs {
		out = append(out, l.desks[id])
	}
	return out
}

// setLayout puts l in use and gives the estimator its times per visitor.
func (s *Store) setLayout(l *layout) {
	perVisitor := make(map[string]time.Duration, len(l.services))
	for id, svc := range l.services {
		perVisitor[id] = cmp.Or(svc.TimePerVisitor, svc.DefaultWait)
	}
	s.mu.Lock()
	s.estCfg.PerVisitor = perVisitor
	s.mu.Unlock()
	s.layout.Store(l)
}

// ConfigVersion is the version of the centre's site configuration in use;
// 0 while the kiosk file's services and desks are.
func (s *Store) ConfigVersion() int64 { return s.layout.Load().version }

// SiteSettings are the sections of the centre's site configuration in use
// besides its services and desks, as siteconfig encodes them, with their
// version: the store keeps them for the kiosk, which reads them; nil
// while the kiosk file's configuration is in use, or if the version set
// none.
func (s *Store) SiteSettings() (version int64, settings json.RawMessage) {
	l := s.layout.Load()
	return l.version, l.settings
}

// ErrSiteConfig: a site configuration the kiosk cannot apply.
var ErrSiteConfig = errors.New("queue: site configuration cannot be applied")

// storedConfig is the applied site configuration as meta keeps it, so it
// survives an outage and a restart.
type storedConfig struct {
	Version  int64           `json:"version"`
	Services []Service       `json:"services"`
	Desks    []Desk          `json:"desks"`
	Settings json.RawMessage `json:"settings,omitempty"`
}

func storedSiteConfig(ctx context.Context, tx *sql.Tx) (*layout, bool, error) {
	v, err := getMeta(ctx, tx, "site_config")
	if err != nil || v == "" {
		return nil, false, err
	}
	var c storedConfig
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		return nil, false, fmt.Errorf("stored site configuration: %w", err)
	}
	return newLayout(c.Version, c.Services, c.Desks, c.Settings), true, nil
}

// ApplySiteConfig puts a version of the centre's site configuration in
// use if it is newer than the one in use (or the same version with other
// contents: the one the centre kept), and reports whether it did. The
// services and desks tables change in one transaction, which waits for the
// check-ins and staff actions under way in this process and is waited for
// by the next (rows no longer named stay, inactive, for the visits that
// refer to them); the screens show the new services from their next change.
// The version's other sections, settings, are kept with it for the kiosk
// to read (SiteSettings). A version that does not hold together (a desk
// naming a service it lacks, settings Options.CheckSettings refuses) is
// refused with ErrSiteConfig and the one in use kept.
func (s *Store) ApplySiteConfig(ctx context.Context, version int64, services []Service, desks []Desk, settings json.RawMessage) (bool, error) {
	if err := checkLayout(services, desks); err != nil {
		return false, fmt.Errorf("%w: version %d: %w", ErrSiteConfig, version, err)
	}
	if len(settings) == 0 || string(settings) == "null" || string(settings) == "{}" {
		settings = nil
	}
	if s.checkSettings != nil && settings != nil {
		if err := s.checkSettings(settings); err != nil {
			return false, fmt.Errorf("%w: version %d: %w", ErrSiteConfig, version, err)
		}
	}
	data, err := json.Marshal(storedConfig{Version: version, Services: services, Desks: desks, Settings: settings})
	if err != nil {
		return false, fmt.Errorf("apply site configuration: %w", err)
	}
	s.configMu.Lock()
	applied := false
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := getMeta(ctx, tx, "site_config")
		if err != nil {
			return err
		}
		if cur != "" {
			var c storedConfig
			if err := json.Unmarshal([]byte(cur), &c); err != nil {
				return fmt.Errorf("stored site configuration: %w", err)
			}
			// The same version with other contents: two people set the
			// site's configuration at once and the centre kept the later.
			if c.Version > version || cur == string(data) {
				return nil
			}
		}
		if err := mirrorConfig(ctx, tx, services, desks); err != nil {
			return err
		}
		applied = true
		return setMeta(ctx, tx, "site_config", string(data))
	})
	if err == nil && applied {
		s.setLayout(newLayout(version, services, desks, settings))
	}
	s.configMu.Unlock()
	if err != nil || !applied {
		return false, err
	}
	s.wroteCommit()
	// The check-ins that waited go on while the estimator takes the new
	// times per visitor.
	if err := s.RefitEstimator(ctx); err != nil {
		s.log.Warn("refit the estimator for the new services", "err", err)
	}
	s.log.Info("applied the centre's site configuration", "version", version, "services", len(services), "desks", len(desks))
	return true, nil
}

// checkLayout is what the store itself needs of services and desks; the
// full rules are siteconfig's.
func checkLayout(services []Service, desks []Desk) error {
	if len(services) == 0 || len(desks) == 0 {
		return errors.New("needs at least one service and one desk")
	}
	ids, prefixes := map[string]bool{}, map[string]bool{}
	for _, svc := range services {
		if !ValidID(svc.ID) || ids[svc.ID] || svc.Prefix == "" || prefixes[svc.Prefix] {
			return fmt.Errorf("service %q: bad or repeated id or prefix", svc.ID)
		}
		ids[svc.ID], prefixes[svc.Prefix] = true, true
	}
	deskIDs := map[string]bool{}
	for _, d := range desks {
		if !ValidID(d.ID) || deskIDs[d.ID] {
			return fmt.Errorf("desk %q: bad or repeated id", d.ID)
		}
		deskIDs[d.ID] = true
		for _, svc := range d.Services {
			if !ids[svc] {
				return fmt.Errorf("desk %s names service %q, which it does not hold", d.ID, svc)
			}
		}
	}
	return nil
}

// StoredConfigVersion reads, without opening the store for writing, the
// version of the centre's site configuration the database at path holds;
// 0 if it holds none or there is no database yet.
func StoredConfigVersion(ctx context.Context, path string) (int64, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(path)+"&mode=ro")
	if err != nil {
		return 0, fmt.Errorf("read configuration version: %w", err)
	}
	defer db.Close()
	var v sql.NullInt64
	err = db.QueryRowContext(ctx, "SELECT json_extract(value, '$.version') FROM meta WHERE key = 'site_config'").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read configuration version: %w", err)
	}
	return v.Int64, nil
}
