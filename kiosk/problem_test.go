package kiosk

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// Where the database cannot be read at all, the window still opens: it
// says why, and sends visitors to reception in every language the kiosk
// offers, whole on a landscape and a portrait screen.
func TestShowProblem(t *testing.T) {
	a := test.NewTempApp(t)
	t.Cleanup(func() { _ = setLanguage("en") })
	codes := translationCodes(t)
	problem := "the disk is full: /var/lib/lobbyline/kiosk.db (0 bytes free). Free some space on that disk"
	w := ShowProblem(a, problem, codes)
	defer w.Close()
	var got []string
	walk(t, w.Content(), func(o fyne.CanvasObject) { got = append(got, texts(o)...) })
	all := strings.Join(got, "\n")
	for _, want := range []string{problem, "Please check in at reception.", "recepción", "Empfang"} {
		if !strings.Contains(all, want) {
			t.Errorf("the problem window lacks %q:\n%s", want, all)
		}
	}
	for _, size := range []fyne.Size{landscape, portrait} {
		w.Resize(size)
		assertFits(t, "problem "+sizeName(size), w.Content())
		assertWhole(t, "problem "+sizeName(size), w.Content(), allowedEllipses(t, "en"), nil)
	}
}
