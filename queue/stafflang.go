package queue

import (
	"context"
	"database/sql"
	"slices"
	"strings"
)

// staffLanguageKey is the meta row holding the staff language.
const staffLanguageKey = "staff_language"

// StaffLanguage is the language staff chose for this kiosk's reports and
// printed roster: one of Options.Languages. Until staff choose one, and
// when the config no longer offers the one they chose, it is the kiosk's
// first language. A visitor's choice on the welcome screen never changes
// it.
func (s *Store) StaffLanguage(ctx context.Context) (string, error) {
	var code string
	err := inReadTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		code, err = getMeta(ctx, tx, staffLanguageKey)
		return err
	})
	if err != nil {
		return "", storageError("staff language", err)
	}
	if langs := s.Languages(); !slices.Contains(langs, code) {
		return langs[0], nil
	}
	return code, nil
}

// SetStaffLanguage stores code as the staff language. A language the
// kiosk does not offer is an EInvalid *Error, and nothing is stored.
func (s *Store) SetStaffLanguage(ctx context.Context, code string) error {
	if langs := s.Languages(); !slices.Contains(langs, code) {
		return invalid("language", "error.staff_language", "This kiosk offers these languages: {{.Languages}}.",
			map[string]any{"Languages": strings.Join(langs, ", "), "Language": code})
	}
	return storageError("set staff language", s.inTx(ctx, func(tx *sql.Tx) error {
		if err := setMeta(ctx, tx, staffLanguageKey, code); err != nil {
			return err
		}
		return s.auditAs(ctx, tx, s.now(), "staff_language", "", code)
	}))
}

// Languages are the languages the kiosk offers, the default first.
func (s *Store) Languages() []string { return *s.languages.Load() }

// SetLanguages changes the languages the kiosk offers (Options.Languages),
// as when the site's managed configuration sets new ones; empty means
// English alone.
func (s *Store) SetLanguages(languages []string) {
	l := slices.Clone(languages)
	if len(l) == 0 {
		l = []string{"en"}
	}
	s.languages.Store(&l)
}
