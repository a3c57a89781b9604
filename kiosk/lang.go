package kiosk

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"

	"lobbyline/assets"
	"lobbyline/queue"
	"lobbyline/queue/estimate"
)

// Fyne's lang package has no public way to choose the language: it asks
// github.com/jeandeaual/go-locale, which on Linux reads LC_ALL, LC_MESSAGES
// and LANG (the first that is set) and, unless that one is "C" or "POSIX",
// prefers LANGUAGE; and it only looks again when translations are added.
// So switching language at run time means setting LANGUAGE (and, if the
// locale is C/POSIX, which would hide LANGUAGE, that variable too) and
// adding our translations again. Only the UI goroutine calls this, as lang
// keeps its localizer in an unguarded package variable.
//
// Every switch adds the bundle's language tags to Fyne's list once more; a
// few bytes per visitor, and the matcher copes with duplicates.
func setLanguage(code string) error {
	if err := os.Setenv("LANGUAGE", code); err != nil {
		return fmt.Errorf("set language %s: %w", code, err)
	}
	for _, env := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(env)
		if v == "" {
			continue
		}
		if v == "C" || v == "POSIX" {
			if err := os.Setenv(env, code); err != nil {
				return fmt.Errorf("set language %s: %w", code, err)
			}
		}
		break
	}
	if err := lang.AddTranslationsFS(assets.Translations, "translations"); err != nil {
		return fmt.Errorf("load translations: %w", err)
	}
	return nil
}

// languageName is how a language calls itself on the switch buttons.
func languageName(code string) string {
	switch code {
	case "en":
		return "English"
	case "es":
		return "Español"
	case "fr":
		return "Français"
	case "de":
		return "Deutsch"
	case "pt":
		return "Português"
	case "it":
		return "Italiano"
	}
	return strings.ToUpper(code)
}

// errorText is what a visitor or staff member reads for err: the store's
// translated message, or a generic one (the cause goes to the log).
func (u *UI) errorText(err error) string {
	if isDamage(err) {
		// The lobby goes to reception; the caller's screen is gone.
		defer u.enterDamaged()
	}
	var e *queue.Error
	if !errors.As(err, &e) || e.Key == "" {
		u.log.Error("unexpected error", "err", err)
		return lang.X("error.generic", "Something went wrong. Please ask at reception.")
	}
	if e.Code == queue.EInternal {
		u.log.Error("store error", "err", err)
	}
	args := make(map[string]any, len(e.Args))
	for k, v := range e.Args {
		args[k] = v
	}
	// Some arguments are codes or English names; show them in the visitor's language.
	if st, ok := args["Status"]; ok {
		args["Status"] = statusText(queue.Status(fmt.Sprint(st)))
	}
	if name, ok := args["Service"].(string); ok {
		for _, svc := range u.lobby.Services() {
			if svc.Name == name || svc.ID == name {
				args["Service"] = svc.DisplayName(u.lang)
			}
		}
	}
	if e.Code == queue.ELocked && !e.Until.IsZero() {
		args["Until"] = e.Until.In(time.Local).Format("15:04:05")
	}
	return lang.X(e.Key, e.Message, args)
}

func statusText(s queue.Status) string {
	switch s {
	case queue.StatusWaiting:
		return lang.X("status.waiting", "waiting")
	case queue.StatusCalled:
		return lang.X("status.called", "called")
	case queue.StatusServed:
		return lang.X("status.served", "served")
	case queue.StatusNoShow:
		return lang.X("status.no_show", "a no-show")
	case queue.StatusCancelled:
		return lang.X("status.cancelled", "cancelled")
	}
	return string(s)
}

// waitText is an estimate as visitors read it: "about 10–15 min".
func waitText(e estimate.Range) string {
	low, high := e.RangeMinutes()
	switch {
	case e.High <= 0: // a desk is free for this visitor
		return lang.X("wait.now", "any moment now")
	case low == high:
		return lang.X("wait.about", "about {{.Min}} min", map[string]any{"Min": high})
	case low <= 0:
		return lang.X("wait.upto", "up to {{.High}} min", map[string]any{"High": high})
	}
	return lang.X("wait.range", "about {{.Low}}–{{.High}} min", map[string]any{"Low": low, "High": high})
}

// minutesText is a duration already waited, in whole minutes.
func minutesText(d time.Duration) string {
	m := int(d / time.Minute)
	if m < 1 {
		return lang.X("waited.new", "just now")
	}
	return lang.X("waited.min", "{{.Min}} min", map[string]any{"Min": m})
}
